<?php
/**
 * Plugin Name: Contact Form 7 → lead-server
 * Description: Sends every Contact Form 7 submission to lead-server as a ticket.
 *
 * Put this file into wp-content/mu-plugins/ (or wp-content/plugins/ and activate it) and
 * define the two constants in wp-config.php:
 *   define('LEAD_SERVER_URL', 'https://YOUR-SERVER/api/v1/lead.php');
 *   define('LEAD_SERVER_KEY', 'YOUR_API_KEY');
 * The field names are Contact Form 7's defaults (your-email, your-subject, your-message);
 * every other field of the form is sent along and shows up as "extra".
 */

add_action('wpcf7_before_send_mail', function ($contact_form) {
    $submission = WPCF7_Submission::get_instance();
    if (!$submission) {
        return;
    }
    $data = $submission->get_posted_data();

    $lead = [
        'type'    => 'ticket',
        'email'   => $data['your-email'] ?? '',
        'subject' => $data['your-subject'] ?? $contact_form->title(),
        'message' => $data['your-message'] ?? '',
        'form'    => $contact_form->title(),
    ];
    foreach ($data as $name => $value) {
        if (!isset($lead[$name]) && !in_array($name, ['your-email', 'your-subject', 'your-message'], true)) {
            $lead[$name] = $value;
        }
    }

    $response = wp_remote_post(LEAD_SERVER_URL, [
        'headers' => ['Content-Type' => 'application/json', 'X-API-KEY' => LEAD_SERVER_KEY],
        'body'    => wp_json_encode($lead),
        'timeout' => 10,
    ]);
    if (is_wp_error($response)) {
        error_log('lead-server: ' . $response->get_error_message());
    } elseif (wp_remote_retrieve_response_code($response) !== 200) {
        error_log('lead-server: ' . wp_remote_retrieve_body($response));
    }
});
