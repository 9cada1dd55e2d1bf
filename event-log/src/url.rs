//! Event-log URLs: the scheme picks the backend, query parameters tune it.
//!
//! Parameters this crate understands are taken out; what remains is handed to the backend's
//! client (tokio-postgres or librdkafka). Error messages name the parameter, never the whole
//! URL, which may carry a password.

use crate::LogError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Memory,
    Postgres,
    Kafka,
}

/// A parsed URL: `<scheme>://<rest>?<params>`.
#[derive(Debug, Clone)]
pub(crate) struct LogUrl {
    pub scheme: Scheme,
    /// Everything before the `?`, scheme included.
    pub base: String,
    /// The text between `://` and the `?`.
    pub authority: String,
    pub params: Vec<(String, String)>,
}

impl LogUrl {
    pub fn parse(url: &str) -> Result<Self, LogError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| LogError::InvalidUrl("expected <scheme>://…".to_owned()))?;
        let scheme = match scheme {
            "memory" => Scheme::Memory,
            "postgres" | "postgresql" => Scheme::Postgres,
            "kafka" => Scheme::Kafka,
            other => {
                return Err(LogError::InvalidUrl(format!(
                    "unknown scheme `{other}` (expected memory://, postgres:// or kafka://)"
                )))
            }
        };
        let (authority, query) = match rest.split_once('?') {
            Some((authority, query)) => (authority, query),
            None => (rest, ""),
        };
        let params = ::url::form_urlencoded::parse(query.as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
            .collect();
        let base_len = url.len() - rest.len() + authority.len();
        Ok(Self {
            scheme,
            base: url[..base_len].to_owned(),
            authority: authority.to_owned(),
            params,
        })
    }

    /// Removes a parameter and returns its last value.
    pub fn take(&mut self, key: &str) -> Option<String> {
        let mut found = None;
        self.params.retain(|(k, v)| {
            if k == key {
                found = Some(v.clone());
                false
            } else {
                true
            }
        });
        found
    }

    /// Removes a numeric parameter, with a default and an inclusive lower bound.
    pub fn take_number(&mut self, key: &str, default: u32, min: u32) -> Result<u32, LogError> {
        let Some(text) = self.take(key) else {
            return Ok(default);
        };
        match text.parse::<u32>() {
            Ok(n) if n >= min => Ok(n),
            _ => Err(LogError::InvalidUrl(format!(
                "`{key}` must be a whole number ≥ {min}, got `{text}`"
            ))),
        }
    }

    /// Fails if parameters are left that the backend does not understand.
    pub fn refuse_leftovers(&self) -> Result<(), LogError> {
        match self.params.first() {
            Some((key, _)) => Err(LogError::InvalidUrl(format!("unknown parameter `{key}`"))),
            None => Ok(()),
        }
    }

    /// The URL again, with only the parameters still in `params`.
    pub fn rebuilt(&self) -> String {
        if self.params.is_empty() {
            return self.base.clone();
        }
        let query = ::url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params.iter())
            .finish();
        format!("{}?{query}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_picks_the_backend() {
        assert_eq!(LogUrl::parse("memory://").unwrap().scheme, Scheme::Memory);
        assert_eq!(
            LogUrl::parse("postgresql://u@h/db").unwrap().scheme,
            Scheme::Postgres
        );
        assert_eq!(
            LogUrl::parse("kafka://h:9092").unwrap().scheme,
            Scheme::Kafka
        );
        assert!(matches!(
            LogUrl::parse("redis://h"),
            Err(LogError::InvalidUrl(_))
        ));
        assert!(matches!(
            LogUrl::parse("no-scheme"),
            Err(LogError::InvalidUrl(_))
        ));
    }

    #[test]
    fn known_parameters_are_stripped_and_the_others_kept() {
        let mut url =
            LogUrl::parse("postgres://u:p@h:5432/db?partitions=3&sslmode=disable").unwrap();
        assert_eq!(url.take_number("partitions", 8, 1).unwrap(), 3);
        assert_eq!(url.rebuilt(), "postgres://u:p@h:5432/db?sslmode=disable");
        assert_eq!(url.take("sslmode").as_deref(), Some("disable"));
        assert_eq!(url.rebuilt(), "postgres://u:p@h:5432/db");
    }

    #[test]
    fn several_kafka_hosts_stay_in_the_authority() {
        let url = LogUrl::parse("kafka://a:9092,b:9093?topic=t").unwrap();
        assert_eq!(url.authority, "a:9092,b:9093");
        assert_eq!(url.params, vec![("topic".to_owned(), "t".to_owned())]);
    }

    #[test]
    fn bad_numbers_name_the_parameter() {
        let mut url = LogUrl::parse("memory://?partitions=0").unwrap();
        let err = url.take_number("partitions", 4, 1).unwrap_err().to_string();
        assert!(err.contains("partitions"), "{err}");
        let mut url = LogUrl::parse("memory://?partitions=x").unwrap();
        assert!(url.take_number("partitions", 4, 1).is_err());
    }
}
