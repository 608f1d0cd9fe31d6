// A shop's "order paid" webhook → lead-server, as a tiny relay (Node.js 18 or newer, no
// packages). Point the shop's webhook at http://THIS-HOST:8787/ and run:
//   LEAD_URL=https://YOUR-SERVER/api/v1/lead LEAD_KEY=YOUR_API_KEY node shop-webhook.mjs
// The Idempotency-Key is made from the webhook's own body: a webhook the shop delivers again
// (they all retry, for hours) creates one order, while a changed order is a new one. Not the
// order number alone: it can be guessed, and anyone with the key could send under it first.
// Answers 200 only once the lead is stored, so the shop retries whatever did not arrive.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

const LEAD_URL = process.env.LEAD_URL ?? "https://YOUR-SERVER/api/v1/lead";
const LEAD_KEY = process.env.LEAD_KEY ?? "YOUR_API_KEY";
const PORT = Number(process.env.PORT ?? 8787);

// The shape of a typical shop webhook (WooCommerce, Shopware, Shopify look much alike).
function toLead(order) {
  return {
    type: "order",
    email: order.billing?.email ?? order.customer?.email,
    subject: `Bestellung ${order.number}`,
    total: Math.round(Number(order.total) * 100) / 100,
    order_number: String(order.number),
    items: (order.line_items ?? []).map((item) => ({ sku: item.sku, quantity: item.quantity })),
  };
}

const server = createServer(async (request, response) => {
  let body = "";
  for await (const chunk of request) body += chunk;
  try {
    let order;
    try {
      order = JSON.parse(body);
    } catch {
      // Not JSON: no retry will make it one.
      response.writeHead(422, { "Content-Type": "application/json" });
      response.end(JSON.stringify({ status: "error", message: "the webhook body is not JSON" }));
      return;
    }
    const lead = toLead(order);
    const answer = await fetch(LEAD_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-API-KEY": LEAD_KEY,
        "Idempotency-Key": `shop-${createHash("sha256").update(body).digest("hex")}`,
      },
      body: JSON.stringify(lead),
    });
    const text = await answer.text();
    // 4xx: the order itself is wrong, a retry will not help; 5xx and 429: let the shop retry.
    response.writeHead(answer.status === 200 ? 200 : answer.status >= 500 || answer.status === 429 ? 503 : 422, {
      "Content-Type": "application/json",
    });
    response.end(text);
  } catch (error) {
    response.writeHead(503, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ status: "error", message: String(error) }));
  }
});

server.listen(PORT, "127.0.0.1", () => console.log(`shop webhook relay on http://127.0.0.1:${PORT}/`));
