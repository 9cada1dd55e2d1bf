//! Where a cron run's output goes: a webhook (signed like webhooks, with the job's delivery
//! secret), a Slack incoming webhook, a Telegram chat (Bot API `sendMessage`), or an email
//! (SMTP). Each is one attempt here; retries are the dispatcher's, as for webhooks.

use std::time::{Duration, Instant};

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use read_store::dispatch_queue::{Claimed, CronOutput};
use schema::cron::CronDelivery;
use serde_json::json;
use webhooks::keyring::Keyring;
use webhooks::target::TargetPolicy;

use crate::send::{self, Answer, Attempted, Prepared, Unsendable};

/// The operator's configuration of the channels.
#[derive(Debug, Clone)]
pub struct ChannelSettings {
    /// `AGENFLEET_TELEGRAM_API_BASE`, default `https://api.telegram.org`.
    pub telegram_api_base: String,
    /// `AGENFLEET_TELEGRAM_BOT_TOKEN`.
    pub telegram_bot_token: Option<String>,
    /// `AGENFLEET_SMTP_URL`, e.g. `smtp://127.0.0.1:2525` or `smtps://user:pass@host`.
    pub smtp_url: Option<String>,
    /// `AGENFLEET_SMTP_FROM`.
    pub smtp_from: String,
}

impl Default for ChannelSettings {
    fn default() -> Self {
        Self {
            telegram_api_base: "https://api.telegram.org".to_owned(),
            telegram_bot_token: None,
            smtp_url: None,
            smtp_from: "AgenFleet <agenfleet@localhost>".to_owned(),
        }
    }
}

/// A run's output ready to go.
pub enum Outgoing {
    Http(Prepared),
    Email(Box<Message>),
}

/// The mail transport, built once from `AGENFLEET_SMTP_URL`. Its timeout bounds connecting
/// (lettre's async transport applies it to nothing else); [`send_email`] bounds the rest.
pub fn smtp_transport(
    settings: &ChannelSettings,
    timeout: Duration,
) -> anyhow::Result<Option<AsyncSmtpTransport<Tokio1Executor>>> {
    let Some(url) = &settings.smtp_url else {
        return Ok(None);
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map_err(|e| anyhow::anyhow!("AGENFLEET_SMTP_URL: {e}"))?
        .timeout(Some(timeout))
        .build();
    Ok(Some(transport))
}

/// Builds what a run's output delivery sends.
pub fn prepare(
    claimed: &Claimed,
    output: &CronOutput,
    keyring: &Keyring,
    policy: TargetPolicy,
    settings: &ChannelSettings,
) -> Result<Outgoing, Unsendable> {
    let Some(job) = &output.job else {
        return Err(Unsendable("the cron job was deleted".to_owned()));
    };
    let reply = output.reply.clone().unwrap_or_default();
    let text = format!("{}\n\n{reply}", job.name);
    let http = |url: &str, body: serde_json::Value, trusted: bool| {
        let url = webhooks::target::parse_url(url).map_err(|e| Unsendable(e.to_string()))?;
        if !trusted {
            webhooks::target::check_literal(&url, policy).map_err(|e| Unsendable(e.to_string()))?;
        }
        Ok(Outgoing::Http(Prepared {
            url,
            body: serde_json::to_vec(&body).expect("JSON values serialize"),
            secrets: Vec::new(),
            trusted,
        }))
    };
    match &job.delivery {
        CronDelivery::None => Err(Unsendable(
            "the job no longer delivers its output".to_owned(),
        )),
        CronDelivery::Webhook { url } => {
            let sealed = job
                .secret
                .as_ref()
                .ok_or_else(|| Unsendable("the job has no delivery secret".to_owned()))?;
            let url = webhooks::target::parse_url(url).map_err(|e| Unsendable(e.to_string()))?;
            webhooks::target::check_literal(&url, policy).map_err(|e| Unsendable(e.to_string()))?;
            let body = send::body_with(
                claimed,
                vec![("cronJobName", json!(job.name)), ("output", json!(reply))],
            )?;
            let secrets = send::open_secrets(
                keyring,
                std::slice::from_ref(sealed),
                &send::secret_context(claimed),
            )?;
            Ok(Outgoing::Http(Prepared {
                url,
                body,
                secrets,
                trusted: false,
            }))
        }
        CronDelivery::Slack { webhook_url } => http(webhook_url, json!({ "text": text }), false),
        CronDelivery::Telegram { chat_id } => {
            let token = settings.telegram_bot_token.as_ref().ok_or_else(|| {
                Unsendable(
                    "Telegram is not configured (the operator sets AGENFLEET_TELEGRAM_BOT_TOKEN)"
                        .to_owned(),
                )
            })?;
            let url = format!(
                "{}/bot{token}/sendMessage",
                settings.telegram_api_base.trim_end_matches('/')
            );
            http(&url, json!({ "chat_id": chat_id, "text": text }), true)
        }
        CronDelivery::Email { to } => {
            if settings.smtp_url.is_none() {
                return Err(Unsendable(
                    "email is not configured (the operator sets AGENFLEET_SMTP_URL)".to_owned(),
                ));
            }
            let from: Mailbox = settings
                .smtp_from
                .parse()
                .map_err(|e| Unsendable(format!("AGENFLEET_SMTP_FROM is not an address: {e}")))?;
            let to: Mailbox = to
                .parse()
                .map_err(|e| Unsendable(format!("`{to}` is not an address: {e}")))?;
            let message = Message::builder()
                .from(from)
                .to(to)
                .subject(format!("AgenFleet: {}", job.name))
                .header(ContentType::TEXT_PLAIN)
                .body(reply)
                .map_err(|e| Unsendable(format!("the email cannot be built: {e}")))?;
            Ok(Outgoing::Email(Box::new(message)))
        }
    }
}

/// Sends an email once, the whole SMTP conversation within `timeout` (a server answering one
/// byte at a time, or not at all, is cut there).
pub async fn send_email(
    transport: Option<&AsyncSmtpTransport<Tokio1Executor>>,
    message: Message,
    timeout: Duration,
) -> Attempted {
    let started = Instant::now();
    let answer = match transport {
        None => Answer::Error("email is not configured (AGENFLEET_SMTP_URL)".to_owned()),
        Some(transport) => match tokio::time::timeout(timeout, transport.send(message)).await {
            Ok(Ok(response)) => Answer::Success(response.code().to_string().parse().unwrap_or(250)),
            Ok(Err(error)) => Answer::Error(format!("SMTP: {error}")),
            Err(_) => Answer::Error(format!(
                "SMTP: timed out: the server did not finish within {}",
                send::display_duration(timeout)
            )),
        },
    };
    Attempted {
        answer,
        note: None,
        took: started.elapsed(),
    }
}
