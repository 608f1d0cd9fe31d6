<?php
// Just enough of WordPress and Contact Form 7 to run docs/examples/wordpress-cf7.php outside
// WordPress: the hook is real, the functions it calls behave like WordPress's.
// Usage: LEAD_URL=… LEAD_KEY=… CF7_POSTED='{"your-email":…}' php wordpress-harness.php EXAMPLE

$actions = [];
function add_action($hook, $callback) { global $actions; $actions[$hook][] = $callback; }
function do_action($hook, ...$args) { global $actions; foreach ($actions[$hook] ?? [] as $cb) { $cb(...$args); } }

class WPCF7_Submission {
    public static function get_instance() { return new self(); }
    public function get_posted_data() { return json_decode(getenv('CF7_POSTED'), true); }
}
class WPCF7_ContactForm { public function title() { return 'Kontaktformular'; } }
class WP_Error {
    private $message;
    public function __construct($message) { $this->message = $message; }
    public function get_error_message() { return $this->message; }
}
function is_wp_error($thing) { return $thing instanceof WP_Error; }
function wp_json_encode($data) { return json_encode($data); }
function wp_remote_post($url, $args) {
    $headers = [];
    foreach ($args['headers'] as $name => $value) { $headers[] = "$name: $value"; }
    $ch = curl_init($url);
    curl_setopt_array($ch, [
        CURLOPT_POST => true, CURLOPT_HTTPHEADER => $headers, CURLOPT_POSTFIELDS => $args['body'],
        CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => $args['timeout'] ?? 5,
    ]);
    $body = curl_exec($ch);
    if ($body === false) { return new WP_Error(curl_error($ch)); }
    return ['response' => ['code' => curl_getinfo($ch, CURLINFO_HTTP_CODE)], 'body' => $body];
}
function wp_remote_retrieve_response_code($response) { return $response['response']['code']; }
function wp_remote_retrieve_body($response) { return $response['body']; }

define('LEAD_SERVER_URL', getenv('LEAD_URL'));
define('LEAD_SERVER_KEY', getenv('LEAD_KEY'));
require $argv[1];
do_action('wpcf7_before_send_mail', new WPCF7_ContactForm());
