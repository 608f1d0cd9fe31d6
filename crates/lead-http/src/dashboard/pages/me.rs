//! What is the employee's own: notifications and settings.

use lead_domain::TimeZone;
use lead_store::{LeadId, Notification, PushSubscription};
use maud::{html, Markup};

use super::{post_form, when};

/// All of one's notifications.
pub(crate) fn notifications(notes: &[Notification], csrf: &str, zone: &TimeZone) -> Markup {
    html! {
        h1 { "Benachrichtigungen" }
        (post_form("/app/notifications/read-all", csrf, "Alle als gelesen markieren", "accept"))
        div data-live="notifications" {
            @if notes.is_empty() { p class="empty" { "Keine Benachrichtigungen." } }
            ul class="plain notes" {
                @for note in notes {
                    li class=(if note.read_at.is_none() { "unread" } else { "" }) {
                        @match note.lead {
                            Some(LeadId::Order(order)) => a href={ "/app/orders/" (order) } { (note.text) },
                            Some(LeadId::Ticket(ticket)) => a href={ "/app/tickets/" (ticket) } { (note.text) },
                            None => span { (note.text) },
                        }
                        " · " (when(note.created_at, zone))
                        @if note.read_at.is_none() {
                            " " (post_form(&format!("/app/notifications/{}/read", note.id), csrf, "Gelesen", "link"))
                        }
                    }
                }
            }
        }
    }
}

/// What the settings page shows of the employee and the server.
pub(crate) struct Settings<'a> {
    pub csrf: &'a str,
    /// The team's time zone.
    pub zone: &'a TimeZone,
    /// E-mail and push per new lead.
    pub notify_email: bool,
    pub notify_push: bool,
    /// The server's VAPID public key; none when push is not enabled here.
    pub push_key: Option<&'a str>,
    pub devices: &'a [PushSubscription],
    /// How many devices a test message just went to.
    pub tested: Option<usize>,
    /// The employee just changed their password.
    pub password_changed: bool,
}

/// The settings page: which notifications, and push on this device.
pub(crate) fn settings(settings: &Settings) -> Markup {
    let csrf = settings.csrf;
    html! {
        h1 { "Einstellungen" }
        @if settings.password_changed {
            p role="status" class="notice" { "Ihr Passwort wurde geändert. Anmeldungen auf anderen Geräten sind beendet." }
        }
        section aria-labelledby="password-title" {
            h2 id="password-title" { "Passwort" }
            p { a href="/app/settings/password" id="change-password" { "Passwort ändern" } }
        }
        section aria-labelledby="notify-title" {
            h2 id="notify-title" { "Benachrichtigungen" }
            p { "Bei jeder neuen Web-Bestellung und jedem neuen Ticket benachrichtigen wir Sie:" }
            form method="post" action="/app/settings/notify" {
                input type="hidden" name="csrf" value=(csrf);
                div class="check" {
                    input type="checkbox" id="notify-email" name="email" value="on" checked[settings.notify_email];
                    label for="notify-email" { "per E-Mail" }
                }
                div class="check" {
                    input type="checkbox" id="notify-push" name="push" value="on" checked[settings.notify_push];
                    label for="notify-push" { "per Push-Benachrichtigung auf meinen Geräten" }
                }
                button type="submit" { "Speichern" }
            }
        }
        section aria-labelledby="push-title" {
            h2 id="push-title" { "Push auf diesem Gerät" }
            p { "Push-Benachrichtigungen erreichen Sie auf dem Handy und am Computer, auch wenn das Dashboard geschlossen ist." }
            p class="meta" { "Auf dem iPhone und iPad (ab iOS 16.4) fügen Sie das Dashboard zuerst in Safari über „Teilen“ → „Zum Home-Bildschirm“ hinzu und öffnen es von dort – erst dann bietet Apple Push an." }
            button type="button" id="push-enable" hidden data-key=[settings.push_key] data-csrf=(csrf) { "Push auf diesem Gerät aktivieren" }
            p id="push-status" role="status" aria-live="polite" {
                @if settings.push_key.is_none() { "Push-Benachrichtigungen sind auf diesem Server nicht eingerichtet." }
            }
            h3 { "Ihre Geräte" }
            @if let Some(count) = settings.tested {
                p role="status" { "Test an " (count) (if count == 1 { " Gerät" } else { " Geräte" }) " gesendet." }
            }
            @if settings.devices.is_empty() {
                p class="empty" { "Noch kein Gerät eingetragen." }
            } @else {
                table id="devices" {
                    thead { tr { th { "Gerät" } th { "Push-Dienst" } th { "Eingetragen" } th { "Zuletzt erreicht" } th { span class="sr" { "Aktionen" } } } }
                    tbody {
                        @for device in settings.devices {
                            tr {
                                td { (lead_present::views::device_label(&device.device)) }
                                td { (device.service) }
                                td { (when(device.created_at, settings.zone)) }
                                td { @if let Some(at) = device.last_success_at { (when(at, settings.zone)) } @else { "noch nie" } }
                                td { (post_form(&format!("/app/settings/push/{}/delete", device.id), csrf, "Entfernen", "link")) }
                            }
                        }
                    }
                }
                @if settings.push_key.is_some() {
                    (post_form("/app/settings/push/test", csrf, "Test senden", ""))
                }
            }
        }
    }
}

/// The form where an employee sets their own password: after a one-time password (`first`,
/// no current password asked — the login just consumed it), or to change it.
pub(crate) fn password_form(csrf: &str, first: bool, error: Option<&str>) -> Markup {
    html! {
        h1 { (if first { "Eigenes Passwort festlegen" } else { "Passwort ändern" }) }
        @if first {
            p { "Sie haben sich mit einem Einmal-Passwort angemeldet; es gilt nicht mehr. Legen Sie jetzt Ihr eigenes Passwort fest – erst dann öffnet sich das Dashboard." }
        } @else {
            p { "Nach der Änderung sind Ihre Anmeldungen auf anderen Geräten beendet; hier bleiben Sie angemeldet." }
        }
        @if let Some(error) = error {
            p class="error" role="alert" { (error) }
        }
        form method="post" action="/app/settings/password" {
            input type="hidden" name="csrf" value=(csrf);
            @if !first {
                label for="current" { "Aktuelles Passwort" }
                input type="password" id="current" name="current" autocomplete="current-password" required;
            }
            label for="new" { "Neues Passwort" }
            input type="password" id="new" name="new" autocomplete="new-password" minlength="10" required;
            label for="repeat" { "Neues Passwort wiederholen" }
            input type="password" id="repeat" name="repeat" autocomplete="new-password" required;
            p class="meta" { "Mindestens 10 Zeichen; am sichersten ist ein Satz aus mehreren Wörtern, der nicht aus Ihrem Namen oder Ihrer E-Mail-Adresse besteht." }
            button type="submit" id="save-password" { "Passwort speichern" }
        }
        @if first {
            (post_form("/app/logout", csrf, "Abmelden", "link"))
        }
    }
}
