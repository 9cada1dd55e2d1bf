//! Reading a `/metrics` answer (Prometheus text) in tests.

/// A sample's labels, in the order they were written.
pub type Labels = Vec<(String, String)>;

/// One scrape: the families it declares and its samples.
pub struct Scrape {
    families: Vec<(String, String)>,
    samples: Vec<(String, Labels, f64)>,
}

impl Scrape {
    /// GETs `{base}/metrics`.
    pub async fn get(base: &str) -> Self {
        let text = reqwest::get(format!("{base}/metrics"))
            .await
            .expect("scrape /metrics")
            .text()
            .await
            .expect("the metrics text");
        Self::parse(&text)
    }

    /// Parses the text format as `ops::Metrics` renders it (no escaped quotes in label values
    /// that tests look at).
    pub fn parse(text: &str) -> Self {
        let mut families = Vec::new();
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
                families.push((name.to_owned(), kind.to_owned()));
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let (series, value) = line.rsplit_once(' ').expect("a sample and its value");
            let value: f64 = value.parse().expect("a number");
            let (name, labels) = match series.split_once('{') {
                None => (series, Vec::new()),
                Some((name, labels)) => {
                    let labels = labels.trim_end_matches('}');
                    let pairs = labels
                        .split("\",")
                        .filter(|pair| !pair.is_empty())
                        .map(|pair| {
                            let (key, value) = pair.split_once("=\"").expect("key=\"value\"");
                            (key.to_owned(), value.trim_end_matches('"').to_owned())
                        })
                        .collect();
                    (name, pairs)
                }
            };
            samples.push((name.to_owned(), labels, value));
        }
        Self { families, samples }
    }

    /// The type of family `name` (`counter`, `gauge`, `histogram`), if declared.
    pub fn family(&self, name: &str) -> Option<&str> {
        self.families
            .iter()
            .find(|(family, _)| family == name)
            .map(|(_, kind)| kind.as_str())
    }

    /// The sum of the samples named `name` that carry every label of `labels`; `None` when
    /// there is none.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<f64> = self
            .samples
            .iter()
            .filter(|(sample, sample_labels, _)| {
                sample == name
                    && labels
                        .iter()
                        .all(|(k, v)| sample_labels.iter().any(|(sk, sv)| sk == k && sv == v))
            })
            .map(|(_, _, value)| *value)
            .collect();
        (!matching.is_empty()).then(|| matching.iter().sum())
    }

    /// The samples named `name`: their labels and values.
    pub fn samples(&self, name: &str) -> Vec<(&[(String, String)], f64)> {
        self.samples
            .iter()
            .filter(|(sample, _, _)| sample == name)
            .map(|(_, labels, value)| (labels.as_slice(), *value))
            .collect()
    }
}
