<?php
// Receives lead-server's webhooks (PHP 7.4+, no packages): checks the signature (Standard
// Webhooks), refuses old or replayed requests, and handles each delivery once even when it
// comes again. Put it behind your web server (the URL you give `lead-server webhook add`), or
// try it with PHP's own:
//
//   WEBHOOK_SECRET=whsec_… php -S 127.0.0.1:8787 webhook-receiver.php
//
// WEBHOOK_SECRET is what `lead-server webhook add` printed. Replace handle() with your own work.

const TOLERANCE_SECONDS = 5 * 60;

$secret = getenv('WEBHOOK_SECRET') ?: '';
if (strpos($secret, 'whsec_') !== 0) {
    http_response_code(500);
    error_log('set WEBHOOK_SECRET to the whsec_… secret of `lead-server webhook add`');
    exit;
}
$key = base64_decode(substr($secret, strlen('whsec_')));

// Whether $signatures (the webhook-signature header) holds our signature of the request.
function verified(string $key, string $id, string $timestamp, string $body, string $signatures): bool
{
    $expected = base64_encode(hash_hmac('sha256', "$id.$timestamp.$body", $key, true));
    foreach (explode(' ', $signatures) as $entry) {
        [$version, $signature] = array_pad(explode(',', $entry, 2), 2, '');
        if ($version === 'v1' && hash_equals($expected, $signature)) {
            return true;
        }
    }
    return false;
}

function handle(string $id, array $event): void
{
    // Your work: file the order in the ERP, post to a chat, …
    $line = json_encode(['processed' => $id, 'type' => $event['type'] ?? null, 'record' => $event['data']['id'] ?? null]);
    file_put_contents('php://stderr', $line . "\n");
}

$body = file_get_contents('php://input');
$id = $_SERVER['HTTP_WEBHOOK_ID'] ?? '';
$timestamp = $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? '';
$fresh = ctype_digit($timestamp) && abs(time() - (int) $timestamp) <= TOLERANCE_SECONDS;
if ($id === '' || !$fresh || !verified($key, $id, $timestamp, $body, $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? '')) {
    http_response_code(401);
    exit;
}

// The ids of deliveries already handled, as files (a database table in real life; a day is enough).
$seen = (getenv('WEBHOOK_SEEN_DIR') ?: sys_get_temp_dir() . '/lead-webhooks-seen') . '/' . hash('sha256', $id);
@mkdir(dirname($seen), 0700, true);
if (!@fopen($seen, 'x')) {
    // Sent again (our answer got lost): already handled, just say so.
    file_put_contents('php://stderr', json_encode(['duplicate' => $id]) . "\n");
    http_response_code(200);
    exit;
}
try {
    handle($id, json_decode($body, true) ?? []);
} catch (Throwable $error) {
    // Not handled: forget the id, and let lead-server try again later.
    unlink($seen);
    error_log('webhook ' . $id . ' failed: ' . $error->getMessage());
    http_response_code(500);
    exit;
}
http_response_code(200);
