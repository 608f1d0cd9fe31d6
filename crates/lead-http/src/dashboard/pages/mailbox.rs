//! The admin's page of the company's mailbox („E-Mail-Postfach“): where the team's replies
//! leave from and by, what was last checked, and the form that sets or removes it.

use lead_domain::TimeZone;
use maud::{html, Markup};

use super::{post_form, when};

/// `/app/admin/postfach`: the mailbox as set (never its passwords), and the form.
pub(crate) fn admin_mailbox(mailbox: Option<&lead_store::Mailbox>, csrf: &str, zone: &TimeZone) -> Markup {
    html! {
        p { a href="/app/admin" { "← Verwaltung" } }
        h1 { "E-Mail-Postfach" }
        p {
            "Von diesem Postfach aus beantwortet Ihr Team Anfragen per E-Mail („Antwort senden“ auf der Seite einer Anfrage). "
            "Die Antworten gehen von der Absenderadresse an den Kunden; dessen Antwort kommt in dieses Postfach."
        }
        @match mailbox {
            Some(mailbox) => {
                dl class="mailbox" id="mailbox" {
                    dt { "Postfach (IMAP)" } dd { (mailbox.imap) }
                    dt { "Absender" } dd { (mailbox.from) }
                    dt { "Postausgang (SMTP)" } dd { (mailbox.smtp.as_deref().unwrap_or("der des Servers")) }
                    dt { "Nach dem Abholen" } dd {
                        @match &mailbox.move_to {
                            Some(folder) => { "verschieben nach „" (folder) "“" }
                            None => { "als gelesen markieren" }
                        }
                    }
                    dt { "Zuletzt abgerufen" } dd {
                        @match mailbox.checked_at { Some(at) => { (when(at, zone)) } None => { "noch nie" } }
                    }
                    @if let (Some(error), Some(at)) = (&mailbox.last_error, mailbox.last_error_at) {
                        dt { "Letzter Fehler" } dd class="error" { (when(at, zone)) ": " (error) }
                    }
                }
            }
            None => { p class="empty" { "Noch kein Postfach eingerichtet: Ihr Team kann noch nicht per E-Mail antworten." } }
        }
        h2 { @if mailbox.is_some() { "Ändern" } @else { "Einrichten" } }
        form method="post" action="/app/admin/postfach" id="mailbox-form" {
            input type="hidden" name="csrf" value=(csrf);
            label for="imap" { "Postfach (IMAP)" }
            input type="text" id="imap" name="imap" autocomplete="off" spellcheck="false"
                placeholder="imaps://service%40ihre-firma.de:PASSWORT@imap.anbieter.de/INBOX"
                required[mailbox.is_none()];
            @if mailbox.is_some() { p class="hint" { "Leer lassen, um es samt Passwort so zu behalten." } }
            label for="from" { "Absender" }
            input type="text" id="from" name="from" required
                value=(mailbox.map_or("", |mailbox| mailbox.from.as_str()))
                placeholder="Ihre Firma <service@ihre-firma.de>";
            label for="smtp" { "Postausgang (SMTP)" }
            input type="text" id="smtp" name="smtp" autocomplete="off" spellcheck="false"
                placeholder="smtps://service%40ihre-firma.de:PASSWORT@smtp.anbieter.de:465";
            p class="hint" { "Leer lassen, um ihn zu behalten (bei einem neuen Postfach: der des Servers)." }
            div class="check" {
                input type="checkbox" id="smtp-server" name="smtp_server" value="1";
                label for="smtp-server" { "Den Postausgang des Servers verwenden" }
            }
            label for="move-to" { "Nach dem Abholen verschieben in (leer: als gelesen markieren)" }
            input type="text" id="move-to" name="move_to" value=(mailbox.and_then(|mailbox| mailbox.move_to.as_deref()).unwrap_or(""));
            button type="submit" class="accept" { "Speichern" }
        }
        @if mailbox.is_some() {
            (post_form("/app/admin/postfach/off", csrf, "Postfach entfernen", "reject"))
        }
    }
}
