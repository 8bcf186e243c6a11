//! Median and spread of repeated measurements.

/// Several measurements of one figure.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    pub fn extend(&mut self, values: impl IntoIterator<Item = f64>) {
        self.0.extend(values);
    }

    pub fn values(&self) -> &[f64] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut values = self.0.clone();
        values.sort_by(|a, b| a.total_cmp(b));
        values
    }

    /// The middle value (mean of the two middle ones for an even count).
    pub fn median(&self) -> Option<f64> {
        let v = self.sorted();
        match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
        }
    }

    pub fn min(&self) -> Option<f64> {
        self.sorted().first().copied()
    }

    pub fn max(&self) -> Option<f64> {
        self.sorted().last().copied()
    }

    /// `median [min–max]` with `decimals` digits, or `-` without samples.
    pub fn show(&self, decimals: usize) -> String {
        match (self.median(), self.min(), self.max()) {
            (Some(m), Some(lo), Some(hi)) if self.len() > 1 => {
                format!("{m:.decimals$} [{lo:.decimals$}–{hi:.decimals$}]")
            }
            (Some(m), _, _) => format!("{m:.decimals$}"),
            _ => "-".to_string(),
        }
    }
}
