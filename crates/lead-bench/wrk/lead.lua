-- wrk script: realistic orders with distinct bodies against POST /api/v1/lead.php.
-- Every request carries a number of its own in its subject, so that no body repeats (the
-- server answers a repeated body as a duplicate without writing it). Used by run.sh.
local key = os.getenv("LEAD_WRK_KEY") or error("LEAD_WRK_KEY is not set")
local counter = 0
local thread_tag = tostring(math.random(1, 1000000000))

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = key

request = function()
    counter = counter + 1
    local body = string.format(
        '{"type":"order","email":"kunde%d@example.org","name":"Erika Mustermann",' ..
        '"subject":"Bestellung %s-%d","message":"Bitte vor 12 Uhr liefern, danke!",' ..
        '"phone":"+49 30 1234567","total":"49,90",' ..
        '"cart":[{"sku":"BR-001","qty":2,"price":"3.50"},{"sku":"KU-17","qty":1,"price":"42.90"}],' ..
        '"utm_source":"newsletter"}',
        counter % 32, thread_tag, counter)
    return wrk.format(nil, "/api/v1/lead.php", nil, body)
end

response = function(status, headers, body)
    if status ~= 200 then
        io.stderr:write("status " .. status .. ": " .. body .. "\n")
    end
end
