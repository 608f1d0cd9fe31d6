// Receives lead-server's webhooks (Node.js 20, no packages): checks the signature (Standard
// Webhooks), refuses old or replayed requests, and handles each delivery once even when it
// comes again. Run it behind your HTTPS proxy:
//
//   WEBHOOK_SECRET=whsec_… PORT=8787 node webhook-receiver.mjs
//
// WEBHOOK_SECRET is what `lead-server webhook add` printed. Replace handle() with your own work.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";

const secret = process.env.WEBHOOK_SECRET ?? "";
if (!secret.startsWith("whsec_")) {
  console.error("set WEBHOOK_SECRET to the whsec_… secret of `lead-server webhook add`");
  process.exit(1);
}
const key = Buffer.from(secret.slice("whsec_".length), "base64");
const TOLERANCE_SECONDS = 5 * 60;
// The ids of deliveries already handled (a database table in real life; a day is enough).
const seen = new Set();

// Whether `signatures` (the webhook-signature header) holds our signature of the request.
function verified(id, timestamp, body, signatures) {
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  return (signatures ?? "").split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function handle(event) {
  // Your work: file the order in the ERP, post to a chat, …
  console.log(JSON.stringify({ processed: event.id, type: event.type, record: event.data?.id ?? null }));
}

createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks);
    const id = request.headers["webhook-id"];
    const timestamp = Number(request.headers["webhook-timestamp"]);
    const age = Math.abs(Date.now() / 1000 - timestamp);
    if (!id || !Number.isInteger(timestamp) || age > TOLERANCE_SECONDS
        || !verified(id, timestamp, body, request.headers["webhook-signature"])) {
      response.writeHead(401).end();
      return;
    }
    if (seen.has(id)) {
      // Sent again (our answer got lost): already handled, just say so.
      console.log(JSON.stringify({ duplicate: id }));
      response.writeHead(200).end();
      return;
    }
    const event = JSON.parse(body.toString("utf8"));
    handle({ id, ...event });
    seen.add(id);
    response.writeHead(200).end();
  });
}).listen(Number(process.env.PORT ?? 8787), process.env.HOST ?? "127.0.0.1");
