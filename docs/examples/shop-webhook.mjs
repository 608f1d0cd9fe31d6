// A shop's "order paid" webhook → lead-server, as a tiny relay (Node.js 20 or newer, no
// packages), for WooCommerce and Shopify. Run it where the shop can reach it, behind your
// HTTPS reverse proxy (Shopify delivers to https addresses only), and point the shop's
// webhook at it:
//   SHOP_SECRET=… LEAD_URL=https://YOUR-SERVER/api/v1/lead LEAD_KEY=YOUR_API_KEY node shop-webhook.mjs
// It listens on every interface (HOST=127.0.0.1 keeps it to this machine, PORT changes 8787).
// SHOP_SECRET is what the shop signs each delivery with (base64 of the HMAC-SHA256 of the
// body): WooCommerce's webhook "Secret", in X-WC-Webhook-Signature; for Shopify the app's
// client secret, or the signing key shown under Settings → Notifications → Webhooks, in
// X-Shopify-Hmac-Sha256. A delivery without the right signature is refused (401): nobody
// else can create orders through the relay.
// The Idempotency-Key is made from the delivery's own body: a delivery that comes again
// creates one order, while a changed order is a new one. Not the order number alone: it can
// be guessed, and anyone with the key could send under it first.
// Answers: 200 once the lead is stored; 422 for a delivery no retry can fix (not an order,
// no email, no amount), with the reason in the relay's output; 503 when lead-server cannot
// take it now. Shopify retries a failed delivery (8 times over 4 hours); WooCommerce does
// not — it shows the failure in its webhook log, and switches the webhook off after 5 in a row.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const LEAD_URL = process.env.LEAD_URL ?? "https://YOUR-SERVER/api/v1/lead";
const LEAD_KEY = process.env.LEAD_KEY ?? "YOUR_API_KEY";
const SHOP_SECRET = process.env.SHOP_SECRET;
const HOST = process.env.HOST ?? "0.0.0.0";
const PORT = Number(process.env.PORT ?? 8787);
// Larger deliveries are refused before anything is computed over them.
const MAX_BODY = 1024 * 1024;

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

// WooCommerce tests a new webhook with an unsigned form body `webhook_id=N`, and wants 200.
function isWooCommercePing(request, body) {
  return /^webhook_id=\d+$/.test(body.toString("utf8")) && request.headers["x-wc-webhook-signature"] === undefined;
}

// A lead from a WooCommerce or a Shopify order; an error saying what is missing otherwise.
function toLead(order) {
  if (typeof order !== "object" || order === null) throw new Error("the delivery is not an order");
  const email = order.billing?.email ?? order.email ?? order.customer?.email;
  if (!email) throw new Error("the order has no email address");
  // A shop's total is a decimal text with a dot ("99.90"): sent as a number, because a text
  // is read as people write amounts, and "1.234" would be a thousand euros.
  const total = Number(order.total ?? order.total_price);
  if (!Number.isFinite(total)) throw new Error("the order has no amount");
  const number = String(order.number ?? order.order_number ?? order.name ?? order.id);
  const items = Array.isArray(order.line_items) ? order.line_items : [];
  return {
    type: "order",
    email,
    subject: `Bestellung ${number}`,
    total,
    order_number: number,
    items: items.map((item) => ({ sku: item.sku, quantity: item.quantity })),
  };
}

function answer(response, status, body) {
  response.writeHead(status, { "Content-Type": "application/json" });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
}

const server = createServer(async (request, response) => {
  const chunks = [];
  let size = 0;
  for await (const chunk of request) {
    size += chunk.length;
    if (size > MAX_BODY) {
      answer(response, 413, { status: "error", message: "the delivery is too large" });
      request.destroy();
      return;
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (isWooCommercePing(request, body)) {
    answer(response, 200, { status: "ok" });
    return;
  }
  if (!signedByTheShop(request, body)) {
    answer(response, 401, { status: "error", message: "not signed with the shop's webhook secret" });
    return;
  }
  let lead;
  try {
    lead = toLead(JSON.parse(body.toString("utf8")));
  } catch (error) {
    // No retry will make it an order.
    console.error(`refused a delivery: ${error.message}`);
    answer(response, 422, { status: "error", message: error.message });
    return;
  }
  try {
    const stored = await fetch(LEAD_URL, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-API-KEY": LEAD_KEY,
        "Idempotency-Key": `shop-${createHash("sha256").update(body).digest("hex")}`,
      },
      body: JSON.stringify(lead),
    });
    // 4xx: the order itself is wrong, a retry will not help; 5xx and 429: not now.
    const status = stored.status === 200 ? 200 : stored.status >= 500 || stored.status === 429 ? 503 : 422;
    if (status !== 200) console.error(`lead-server answered ${stored.status} for order ${lead.order_number}`);
    answer(response, status, await stored.text());
  } catch (error) {
    console.error(`lead-server not reached for order ${lead.order_number}: ${error}`);
    answer(response, 503, { status: "error", message: String(error) });
  }
});

server.listen(PORT, HOST, () => console.log(`shop webhook relay on http://${HOST}:${PORT}/`));
