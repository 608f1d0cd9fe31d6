// A shop's "order paid" webhook → lead-server, as a tiny relay (Node.js 18 or newer, no
// packages). Run it on a machine the shop can reach, and point the shop's webhook at
// http://THIS-HOST:8787/ (better: https through your reverse proxy):
//   SHOP_SECRET=THE_WEBHOOK_SECRET LEAD_URL=https://YOUR-SERVER/api/v1/lead LEAD_KEY=YOUR_API_KEY node shop-webhook.mjs
// It listens on every interface (HOST=127.0.0.1 keeps it to this machine, PORT changes the
// port). SHOP_SECRET is the secret you enter in the shop's webhook settings: the shop signs
// each delivery with it (HMAC-SHA256 of the body, base64, in X-WC-Webhook-Signature for
// WooCommerce or X-Shopify-Hmac-Sha256 for Shopify), and a delivery without the right
// signature is refused (401) — nobody else can create orders through the relay.
// The Idempotency-Key is made from the webhook's own body: a webhook the shop delivers again
// (they all retry, for hours) creates one order, while a changed order is a new one. Not the
// order number alone: it can be guessed, and anyone with the key could send under it first.
// Answers 200 only once the lead is stored, so the shop retries whatever did not arrive.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const LEAD_URL = process.env.LEAD_URL ?? "https://YOUR-SERVER/api/v1/lead";
const LEAD_KEY = process.env.LEAD_KEY ?? "YOUR_API_KEY";
const SHOP_SECRET = process.env.SHOP_SECRET;
const HOST = process.env.HOST ?? "0.0.0.0";
const PORT = Number(process.env.PORT ?? 8787);

if (!SHOP_SECRET) {
  console.error("Set SHOP_SECRET to the secret of the shop's webhook: unsigned deliveries are refused.");
  process.exit(1);
}

// Whether the delivery carries the shop's signature of exactly this body.
function signedByTheShop(request, body) {
  const given = request.headers["x-wc-webhook-signature"] ?? request.headers["x-shopify-hmac-sha256"];
  if (typeof given !== "string") return false;
  const expected = createHmac("sha256", SHOP_SECRET).update(body).digest();
  const presented = Buffer.from(given, "base64");
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

// The shape of a typical shop webhook (WooCommerce, Shopware, Shopify look much alike).
function toLead(order) {
  return {
    type: "order",
    email: order.billing?.email ?? order.customer?.email,
    subject: `Bestellung ${order.number}`,
    // A shop's total is a decimal text with a dot ("99.90"): sent as a number, because a text
    // is read as people write amounts, and "1.234" would be a thousand euros.
    total: Number(order.total),
    order_number: String(order.number),
    items: (order.line_items ?? []).map((item) => ({ sku: item.sku, quantity: item.quantity })),
  };
}

function answer(response, status, body) {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
}

const server = createServer(async (request, response) => {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  if (!signedByTheShop(request, body)) {
    answer(response, 401, { status: "error", message: "not signed with the shop's webhook secret" });
    return;
  }
  let order;
  try {
    order = JSON.parse(body.toString("utf8"));
  } catch {
    // Not JSON: no retry will make it one.
    answer(response, 422, { status: "error", message: "the webhook body is not JSON" });
    return;
  }
  try {
    const lead = toLead(order);
    const stored = await fetch(LEAD_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-API-KEY": LEAD_KEY,
        "Idempotency-Key": `shop-${createHash("sha256").update(body).digest("hex")}`,
      },
      body: JSON.stringify(lead),
    });
    // 4xx: the order itself is wrong, a retry will not help; 5xx and 429: let the shop retry.
    const status = stored.status === 200 ? 200 : stored.status >= 500 || stored.status === 429 ? 503 : 422;
    answer(response, status, await stored.text());
  } catch (error) {
    answer(response, 503, { status: "error", message: String(error) });
  }
});

server.listen(PORT, HOST, () => console.log(`shop webhook relay on http://${HOST}:${PORT}/`));
