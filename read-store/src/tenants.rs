//! Reads of the `tenants` read model.

use deadpool_postgres::GenericClient;
use schema::tenant::Plan;
use schema::TenantId;

use crate::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRow {
    pub id: TenantId,
    pub name: String,
    pub plan: Plan,
    pub per_minute: Option<i32>,
    pub per_hour: Option<i32>,
}

pub async fn get(
    client: &impl GenericClient,
    id: TenantId,
) -> Result<Option<TenantRow>, StoreError> {
    let row = client
        .query_opt(
            "SELECT name, plan, per_minute, per_hour FROM tenants WHERE id = $1",
            &[&id.to_string()],
        )
        .await?;
    row.map(|row| {
        let plan: String = row.get(1);
        Ok(TenantRow {
            id,
            name: row.get(0),
            plan: Plan::parse(&plan)
                .ok_or_else(|| StoreError::Corrupt(format!("tenant plan {plan}")))?,
            per_minute: row.get(2),
            per_hour: row.get(3),
        })
    })
    .transpose()
}

/// The tenant named `name` (the first one created, if several).
pub async fn by_name(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<TenantId>, StoreError> {
    let row = client
        .query_opt(
            "SELECT id FROM tenants WHERE name = $1 ORDER BY created_at, id LIMIT 1",
            &[&name],
        )
        .await?;
    row.map(|row| {
        row.get::<_, String>(0)
            .parse()
            .map_err(|e: schema::ids::InvalidId| StoreError::Corrupt(e.to_string()))
    })
    .transpose()
}
