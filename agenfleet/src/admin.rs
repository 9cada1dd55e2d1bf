//! `agenfleet admin create-tenant | create-key`.

use schema::command::{CreateApiKey, CreateTenant};
use schema::tenant::{Plan, Scope};
use schema::{Actor, ApiKeyId, Command, CommandRecord, TenantId};
use serde_json::json;

use crate::cli::AdminCommand;
use crate::submit::Submitter;

/// A key made for a tenant: its id and the plaintext, shown once.
pub struct IssuedKey {
    pub key_id: ApiKeyId,
    pub api_key: String,
}

fn actor() -> Actor {
    Actor::system("agenfleet-cli")
}

/// The command creating a key; the plaintext never enters the log.
pub fn key_command(tenant: TenantId, name: &str, scope: Scope) -> (CommandRecord, IssuedKey) {
    let (api_key, key_hash, prefix) = api::auth::generate_key();
    let key_id = ApiKeyId::new();
    let command = Command::CreateApiKey(CreateApiKey {
        key_id,
        name: name.to_owned(),
        scope,
        key_hash,
        prefix,
        expires_at: None,
    });
    (
        CommandRecord::new(tenant, actor(), command),
        IssuedKey { key_id, api_key },
    )
}

/// Creates a tenant and its first read-write key.
pub async fn create_tenant(
    submitter: &Submitter,
    name: &str,
    plan: Plan,
    per_minute: Option<u32>,
    per_hour: Option<u32>,
) -> anyhow::Result<(TenantId, IssuedKey)> {
    let tenant = TenantId::new();
    let create = CommandRecord::new(
        tenant,
        actor(),
        Command::CreateTenant(CreateTenant {
            name: name.to_owned(),
            plan,
            limits: schema::tenant::LimitOverrides {
                per_minute,
                per_hour,
            },
        }),
    );
    let (key_record, key) = key_command(tenant, "default", Scope::ReadWrite);
    submitter.submit(&[create, key_record]).await?;
    Ok((tenant, key))
}

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateTenant {
            database,
            name,
            plan,
            per_minute,
            per_hour,
            json,
        } => {
            let log = event_log::connect(database.event_log_url()).await?;
            let submitter = Submitter::new(&database.database_url, log)?;
            let (tenant, key) =
                create_tenant(&submitter, &name, plan, per_minute, per_hour).await?;
            if json {
                println!("{}", json!({ "tenantId": tenant, "apiKey": key.api_key }));
            } else {
                println!("tenant:  {tenant} ({name}, plan {})", plan.as_str());
                println!(
                    "api key: {}  (read-write; shown once, keep it safe)",
                    key.api_key
                );
            }
        }
        AdminCommand::CreateKey {
            database,
            tenant,
            name,
            scope,
            json,
        } => {
            let log = event_log::connect(database.event_log_url()).await?;
            let submitter = Submitter::new(&database.database_url, log)?;
            let (record, key) = key_command(tenant, &name, scope);
            submitter.submit(&[record]).await?;
            if json {
                println!("{}", json!({ "keyId": key.key_id, "apiKey": key.api_key }));
            } else {
                println!("key id:  {}", key.key_id);
                println!(
                    "api key: {}  ({}; shown once, keep it safe)",
                    key.api_key,
                    scope.as_str()
                );
            }
        }
    }
    Ok(())
}
