//! Attribute paths: where in a value something is (used by diagnostics and plans).

use std::fmt;

/// One step of an [`AttributePath`], as in the plugin protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An attribute of an object (or a nested block by name).
    Attribute(String),
    /// A map key.
    ElementKeyString(String),
    /// A list or tuple index.
    ElementKeyInt(i64),
}

/// A path from the root of a resource object to one of its parts, e.g. `timeouts.create`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath {
    pub steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path: the whole object.
    pub fn root() -> AttributePath {
        AttributePath::default()
    }

    /// A path to a top-level attribute.
    pub fn attr(name: impl Into<String>) -> AttributePath {
        AttributePath::root().attribute(name)
    }

    /// This path followed by an attribute step.
    pub fn attribute(mut self, name: impl Into<String>) -> AttributePath {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path followed by a list index step.
    pub fn index(mut self, index: i64) -> AttributePath {
        self.steps.push(PathStep::ElementKeyInt(index));
        self
    }

    /// This path followed by a map key step.
    pub fn key(mut self, key: impl Into<String>) -> AttributePath {
        self.steps.push(PathStep::ElementKeyString(key.into()));
        self
    }

    /// This path followed by one step.
    pub fn step(mut self, step: PathStep) -> AttributePath {
        self.steps.push(step);
        self
    }

    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

impl fmt::Display for AttributePath {
    /// Terraform's traversal syntax: `a.b[0]["k"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform_traversals() {
        let path = AttributePath::attr("rule")
            .index(2)
            .attribute("tags")
            .key("env");
        assert_eq!(path.to_string(), r#"rule[2].tags["env"]"#);
        assert_eq!(AttributePath::root().to_string(), "");
        assert!(AttributePath::root().is_root());
    }
}
