//! Keeps the Registry docs and the examples honest.
//!
//! - Every attribute of the provider, each resource and each data source, as real Terraform
//!   reports them (`terraform providers schema -json`, both CLI versions), is documented on its
//!   page with the right type and flags, and nothing documented is missing from the schema.
//!   Nested attributes (`timeouts.create`) and fields of lists of objects (`instances.name`,
//!   `topics.partitions.partition`) are documented in "Nested Schema for" sections.
//! - Every provider function (`functions` in the schema, Terraform 1.8+) has its page in
//!   `docs/functions/`, whose signature and numbered arguments are the function's, and no page
//!   documents a function the provider lacks.
//! - Every page shows its example files verbatim; every example directory passes
//!   `terraform fmt -check` and `terraform validate`.
//! - The policy example does what `docs/guides/policy-checks.md` says, against the emulator.
//!
//! The doc parser and the comparison are plain functions, tested on their own below and run
//! on the docs against the schema contract (`contract_schema`) without Terraform.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use common::{for_each_terraform, terraform, Emulator, Terraform, Workspace, PROVIDER_SOURCE};

// ---------------------------------------------------------------------------------------------
// The doc pages
// ---------------------------------------------------------------------------------------------

/// Where an attribute is listed: under `### Required`, `### Optional` or `### Read-Only`
/// (or `Required:` / `Optional:` / `Read-Only:` in a nested schema section).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Category {
    Required,
    Optional,
    ReadOnly,
}

impl Category {
    fn from_heading(text: &str) -> Option<Category> {
        match text.trim().trim_end_matches(':') {
            "Required" => Some(Category::Required),
            "Optional" => Some(Category::Optional),
            "Read-Only" => Some(Category::ReadOnly),
            _ => None,
        }
    }
}

/// One documented attribute: ``- `name` (Type, Flags) Description.``
#[derive(Clone, Debug, PartialEq)]
struct DocAttribute {
    /// Dotted path: `timeouts.create`, `topics.partitions.partition`.
    path: String,
    type_label: String,
    category: Category,
    sensitive: bool,
    /// Flagged `Write-only` (Terraform 1.11+ write-only attributes).
    write_only: bool,
    line: usize,
}

/// Type labels as tfplugindocs writes them.
const TYPE_LABELS: &[&str] = &[
    "String",
    "Number",
    "Boolean",
    "Dynamic",
    "List of String",
    "List of Number",
    "List of Boolean",
    "Set of String",
    "Set of Number",
    "Map of String",
    "Map of Number",
    "List of Object",
    "Set of Object",
    "Map of Object",
    "Object",
    "Attributes",
    "Attributes List",
    "Attributes Set",
    "Attributes Map",
    "Block",
    "Block List",
    "Block Set",
];

/// The page's front matter (`key: value` lines between the leading `---` lines).
fn front_matter(markdown: &str) -> Option<BTreeMap<String, String>> {
    let mut lines = markdown.lines();
    if lines.next()? != "---" {
        return None;
    }
    let mut keys = BTreeMap::new();
    for line in lines {
        if line == "---" {
            return Some(keys);
        }
        if let Some((key, value)) = line.split_once(':') {
            if !key.starts_with(' ') && !key.is_empty() {
                keys.insert(key.trim().to_string(), value.trim().to_string());
            }
        }
    }
    None
}

/// The body lines of a page with their 1-based numbers, front matter and fenced code left out.
fn prose_lines(markdown: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut in_front_matter = markdown.starts_with("---\n");
    let mut in_fence = false;
    for (i, line) in markdown.lines().enumerate() {
        if in_front_matter {
            if i > 0 && line == "---" {
                in_front_matter = false;
            }
            continue;
        }
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if !in_fence {
            out.push((i + 1, line));
        }
    }
    out
}

/// The contents of every fenced code block of a page, with its info string.
fn code_blocks(markdown: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        match current.take() {
            None if trimmed.starts_with("```") => {
                current = Some((
                    trimmed.trim_start_matches('`').trim().to_string(),
                    String::new(),
                ))
            }
            None => {}
            Some(block) if trimmed.starts_with("```") => blocks.push(block),
            Some((info, mut body)) => {
                body.push_str(line);
                body.push('\n');
                current = Some((info, body));
            }
        }
    }
    blocks
}

/// Parses the attribute lists of a page. Lists count only under `## Argument Reference`,
/// `## Attribute Reference` (or tfplugindocs' `## Schema`); in those sections every list item
/// must be an attribute in the one format, under a category.
fn parse_doc_attributes(markdown: &str) -> Result<Vec<DocAttribute>, Vec<String>> {
    let item = regex::Regex::new(r"^- `([a-z0-9_]+)` \(([^)]+)\)(?: |$)").expect("static regex");
    let nested =
        regex::Regex::new(r"^### Nested Schema for `([a-z0-9_.]+)`\s*$").expect("static regex");
    let mut attrs: Vec<DocAttribute> = Vec::new();
    let mut problems = Vec::new();
    let mut in_schema = false;
    let mut prefix = String::new();
    let mut category: Option<Category> = None;

    for (line_no, line) in prose_lines(markdown) {
        if let Some(title) = line.strip_prefix("## ") {
            in_schema = matches!(
                title.trim(),
                "Argument Reference" | "Attribute Reference" | "Schema"
            );
            prefix.clear();
            category = None;
            continue;
        }
        if !in_schema {
            continue;
        }
        if let Some(title) = line.strip_prefix("### ") {
            prefix.clear();
            category = None;
            if let Some(c) = nested.captures(line) {
                prefix = format!("{}.", &c[1]);
            } else if let Some(c) = Category::from_heading(title) {
                category = Some(c);
            } else {
                problems.push(format!(
                    "line {line_no}: unexpected heading {line:?} in a schema section"
                ));
            }
            continue;
        }
        if !prefix.is_empty() {
            if let Some(c) = Category::from_heading(line) {
                category = Some(c);
                continue;
            }
        }
        if !line.starts_with("- ") && !line.starts_with("* ") {
            continue;
        }
        let Some(caps) = item.captures(line) else {
            problems.push(format!(
                "line {line_no}: list item not in the form ``- `name` (Type, Flags) Description``: {line:?}"
            ));
            continue;
        };
        let Some(category) = category else {
            problems.push(format!(
                "line {line_no}: attribute `{}` is not under Required, Optional or Read-Only",
                &caps[1]
            ));
            continue;
        };
        let mut parts = caps[2].split(", ");
        let type_label = parts.next().unwrap_or_default().to_string();
        if !TYPE_LABELS.contains(&type_label.as_str()) {
            problems.push(format!("line {line_no}: unknown type {type_label:?}"));
        }
        let (mut sensitive, mut write_only) = (false, false);
        for flag in parts {
            match flag {
                "Sensitive" => sensitive = true,
                "Write-only" => write_only = true,
                "Deprecated" => {}
                other => problems.push(format!("line {line_no}: unknown flag {other:?}")),
            }
        }
        let path = format!("{prefix}{}", &caps[1]);
        if attrs.iter().any(|a| a.path == path) {
            problems.push(format!("line {line_no}: `{path}` is documented twice"));
        }
        attrs.push(DocAttribute {
            path,
            type_label,
            category,
            sensitive,
            write_only,
            line: line_no,
        });
    }
    if problems.is_empty() {
        Ok(attrs)
    } else {
        Err(problems)
    }
}

// ---------------------------------------------------------------------------------------------
// The schema, as `terraform providers schema -json` prints it
// ---------------------------------------------------------------------------------------------

/// One attribute of a schema, flattened to a dotted path.
#[derive(Clone, Debug, PartialEq)]
struct SchemaAttribute {
    path: String,
    /// The labels a page may use for its type (a list of objects may be documented as
    /// "List of Object" whether it is a cty type or a nested attribute).
    type_labels: Vec<&'static str>,
    category: Category,
    sensitive: bool,
    /// `None` where the schema cannot say (Terraform before 1.11 reports no such flag).
    write_only: Option<bool>,
}

fn category_of(attr: &Value) -> Category {
    if attr["required"] == true {
        Category::Required
    } else if attr["optional"] == true {
        Category::Optional
    } else {
        Category::ReadOnly
    }
}

fn primitive_label(ty: &Value) -> Option<&'static str> {
    match ty.as_str()? {
        "string" => Some("String"),
        "number" => Some("Number"),
        "bool" => Some("Boolean"),
        "dynamic" => Some("Dynamic"),
        _ => None,
    }
}

/// Labels for a cty type (JSON form), and the object attributes to document below it.
fn cty_labels(ty: &Value) -> (Vec<&'static str>, Option<&serde_json::Map<String, Value>>) {
    if let Some(label) = primitive_label(ty) {
        return (vec![label], None);
    }
    let kind = ty[0].as_str().unwrap_or_default();
    let elem = &ty[1];
    if kind == "object" {
        return (vec!["Object", "Attributes"], elem.as_object());
    }
    let collection = match kind {
        "list" => "List",
        "set" => "Set",
        "map" => "Map",
        _ => return (vec![], None),
    };
    if let Some(label) = primitive_label(elem) {
        let label: &'static str = match (collection, label) {
            ("List", "String") => "List of String",
            ("List", "Number") => "List of Number",
            ("List", "Boolean") => "List of Boolean",
            ("Set", "String") => "Set of String",
            ("Set", "Number") => "Set of Number",
            ("Map", "String") => "Map of String",
            ("Map", "Number") => "Map of Number",
            _ => return (vec![], None),
        };
        return (vec![label], None);
    }
    if elem[0] == "object" {
        let labels = match collection {
            "List" => vec!["List of Object", "Attributes List"],
            "Set" => vec!["Set of Object", "Attributes Set"],
            _ => vec!["Map of Object", "Attributes Map"],
        };
        return (labels, elem[1].as_object());
    }
    (vec![], None)
}

/// Every attribute of a schema block, nested ones included, by dotted path.
fn flatten_block(block: &Value) -> Vec<SchemaAttribute> {
    let mut out = Vec::new();
    flatten_into(block, "", &mut out);
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn flatten_into(block: &Value, prefix: &str, out: &mut Vec<SchemaAttribute>) {
    if let Some(attrs) = block["attributes"].as_object() {
        for (name, attr) in attrs {
            flatten_attribute(&format!("{prefix}{name}"), attr, category_of(attr), out);
        }
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, nested) in blocks {
            let path = format!("{prefix}{name}");
            let labels = match nested["nesting_mode"].as_str().unwrap_or_default() {
                "list" => vec!["Block List"],
                "set" => vec!["Block Set"],
                _ => vec!["Block"],
            };
            let category = if nested["min_items"].as_u64().unwrap_or(0) > 0 {
                Category::Required
            } else {
                Category::Optional
            };
            out.push(SchemaAttribute {
                path: path.clone(),
                type_labels: labels,
                category,
                sensitive: false,
                write_only: Some(false),
            });
            flatten_into(&nested["block"], &format!("{path}."), out);
        }
    }
}

fn flatten_attribute(path: &str, attr: &Value, category: Category, out: &mut Vec<SchemaAttribute>) {
    let sensitive = attr["sensitive"] == true;
    let write_only = attr.get("write_only").map(|w| w == true);
    if let Some(nested) = attr.get("nested_type") {
        let labels = match nested["nesting_mode"].as_str().unwrap_or_default() {
            "list" => vec!["Attributes List", "List of Object"],
            "set" => vec!["Attributes Set", "Set of Object"],
            "map" => vec!["Attributes Map", "Map of Object"],
            _ => vec!["Attributes", "Object"],
        };
        out.push(SchemaAttribute {
            path: path.to_string(),
            type_labels: labels,
            category,
            sensitive,
            write_only,
        });
        if let Some(children) = nested["attributes"].as_object() {
            for (name, child) in children {
                flatten_attribute(&format!("{path}.{name}"), child, category_of(child), out);
            }
        }
        return;
    }
    let (labels, object_attrs) = cty_labels(&attr["type"]);
    out.push(SchemaAttribute {
        path: path.to_string(),
        type_labels: labels,
        category,
        sensitive,
        write_only,
    });
    // Fields of a cty object have no flags of their own: they are listed like their parent.
    if let Some(fields) = object_attrs {
        for (name, ty) in fields {
            let child = json!({ "type": ty });
            flatten_attribute(&format!("{path}.{name}"), &child, category, out);
        }
    }
}

/// Everything that differs between a page and a schema block, worded for a failing test.
fn compare(page: &str, docs: &[DocAttribute], schema: &[SchemaAttribute]) -> Vec<String> {
    let mut problems = Vec::new();
    for s in schema {
        let Some(d) = docs.iter().find(|d| d.path == s.path) else {
            problems.push(format!(
                "{page}: `{}` is in the schema but not documented",
                s.path
            ));
            continue;
        };
        if d.category != s.category {
            problems.push(format!(
                "{page}:{}: `{}` is documented as {:?} but the schema says {:?}",
                d.line, s.path, d.category, s.category
            ));
        }
        if !s.type_labels.contains(&d.type_label.as_str()) {
            problems.push(format!(
                "{page}:{}: `{}` is documented as ({}) but the schema's type reads as {:?}",
                d.line, s.path, d.type_label, s.type_labels
            ));
        }
        if d.sensitive != s.sensitive {
            problems.push(format!(
                "{page}:{}: `{}` sensitive in docs: {}, in the schema: {}",
                d.line, s.path, d.sensitive, s.sensitive
            ));
        }
        if s.write_only.is_some_and(|w| w != d.write_only) {
            problems.push(format!(
                "{page}:{}: `{}` write-only in docs: {}, in the schema: {}",
                d.line, s.path, d.write_only, !d.write_only
            ));
        }
    }
    for d in docs {
        if !schema.iter().any(|s| s.path == d.path) {
            problems.push(format!(
                "{page}:{}: `{}` is documented but not in the schema",
                d.line, d.path
            ));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// Pages and examples of the repository
// ---------------------------------------------------------------------------------------------

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `alikafka_topic` → `topic`.
fn short_name(type_name: &str) -> &str {
    type_name.strip_prefix("alikafka_").unwrap_or(type_name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Provider,
    Resource,
    DataSource,
    /// `terraform query` list resources (Terraform 1.14+).
    ListResource,
    /// Actions (Terraform 1.14+).
    Action,
}

impl Kind {
    /// The kinds Terraform before 1.14 does not report: their pages are checked only
    /// against a Terraform that does.
    fn is_newer(self) -> bool {
        matches!(self, Kind::ListResource | Kind::Action)
    }
}

fn doc_page(kind: Kind, type_name: &str) -> PathBuf {
    match kind {
        Kind::Provider => repo().join("docs/index.md"),
        Kind::Resource => repo().join(format!("docs/resources/{}.md", short_name(type_name))),
        Kind::DataSource => repo().join(format!("docs/data-sources/{}.md", short_name(type_name))),
        Kind::ListResource => {
            repo().join(format!("docs/list-resources/{}.md", short_name(type_name)))
        }
        Kind::Action => repo().join(format!("docs/actions/{}.md", short_name(type_name))),
    }
}

/// The example files a page must show, by Registry convention: the required ones, and the
/// optional ones that exist.
fn example_files(kind: Kind, type_name: &str) -> Vec<PathBuf> {
    let (dir, required, optional): (PathBuf, &[&str], &[&str]) = match kind {
        Kind::Provider => (repo().join("examples/provider"), &["provider.tf"], &[]),
        Kind::Resource => (
            repo().join(format!("examples/resources/{type_name}")),
            &["resource.tf", "import.sh"],
            &["import-by-string-id.tf", "import-by-identity.tf"],
        ),
        Kind::DataSource => (
            repo().join(format!("examples/data-sources/{type_name}")),
            &["data-source.tf"],
            &[],
        ),
        Kind::ListResource => (
            repo().join(format!("examples/list-resources/{type_name}")),
            &["list-resource.tfquery.hcl"],
            &[],
        ),
        Kind::Action => (
            repo().join(format!("examples/actions/{type_name}")),
            &["action.tf"],
            &[],
        ),
    };
    let mut files: Vec<PathBuf> = required.iter().map(|n| dir.join(n)).collect();
    files.extend(optional.iter().map(|n| dir.join(n)).filter(|p| p.exists()));
    files
}

/// Resource and data source names that have a page, from the `docs/` tree.
fn documented_types(kind: Kind) -> Vec<String> {
    let dir = match kind {
        Kind::Resource => repo().join("docs/resources"),
        Kind::DataSource => repo().join("docs/data-sources"),
        Kind::ListResource => repo().join("docs/list-resources"),
        Kind::Action => repo().join("docs/actions"),
        Kind::Provider => return vec!["alikafka".into()],
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            Some(format!("alikafka_{}", name.strip_suffix(".md")?))
        })
        .collect();
    names.sort();
    names
}

/// Checks one page against its schema block: attributes, front matter, sections, examples.
/// Terraform before 1.11 does not report write-only attributes (`reports_write_only`
/// false): the pages' `Write-only` flags are then not compared.
fn check_page(kind: Kind, type_name: &str, block: &Value, reports_write_only: bool) -> Vec<String> {
    let page = doc_page(kind, type_name);
    let shown = page
        .strip_prefix(repo())
        .unwrap_or(&page)
        .display()
        .to_string();
    if !page.exists() {
        return vec![format!("{type_name}: no page at {shown}")];
    }
    let markdown = read(&page);
    let mut problems = Vec::new();

    match front_matter(&markdown) {
        None => problems.push(format!("{shown}: no front matter")),
        Some(keys) => {
            for key in ["page_title", "subcategory", "description"] {
                if !keys.contains_key(key) {
                    problems.push(format!("{shown}: front matter lacks `{key}`"));
                }
            }
        }
    }
    let mut sections = vec!["## Example Usage", "## Argument Reference"];
    match kind {
        // A list resource's and an action's schema is their `config` block: arguments only.
        Kind::ListResource | Kind::Action => {}
        Kind::Resource => sections.extend(["## Attribute Reference", "## Timeouts", "## Import"]),
        Kind::Provider | Kind::DataSource => sections.push("## Attribute Reference"),
    }
    let headings: Vec<&str> = prose_lines(&markdown)
        .into_iter()
        .map(|(_, l)| l.trim_end())
        .collect();
    for section in sections {
        if !headings.contains(&section) {
            problems.push(format!("{shown}: no `{section}` section"));
        }
    }

    let blocks = code_blocks(&markdown);
    for example in example_files(kind, type_name) {
        let example_shown = example
            .strip_prefix(repo())
            .unwrap_or(&example)
            .display()
            .to_string();
        if !example.exists() {
            problems.push(format!(
                "{shown}: its example {example_shown} does not exist"
            ));
            continue;
        }
        let content = read(&example);
        if !blocks
            .iter()
            .any(|(_, body)| body.trim_end() == content.trim_end())
        {
            problems.push(format!(
                "{shown}: does not show {example_shown} verbatim in a code block"
            ));
        }
    }

    match parse_doc_attributes(&markdown) {
        Err(parse_problems) => {
            problems.extend(parse_problems.into_iter().map(|p| format!("{shown}: {p}")))
        }
        Ok(mut docs) => {
            if !reports_write_only {
                docs.iter_mut().for_each(|d| d.write_only = false);
            }
            problems.extend(compare(&shown, &docs, &flatten_block(block)))
        }
    }
    problems
}

/// A cty type (JSON form) as function signatures spell it: `string`, `object`, `list of string`.
fn signature_type(ty: &Value) -> String {
    match ty {
        Value::String(name) => name.clone(),
        Value::Array(parts) => match parts.first().and_then(Value::as_str) {
            Some(kind @ ("list" | "set" | "map")) => {
                format!("{kind} of {}", signature_type(&parts[1]))
            }
            Some(kind) => kind.to_string(),
            None => "dynamic".to_string(),
        },
        _ => "dynamic".to_string(),
    }
}

/// A cty type as argument lists label it: `String`, `Object`, `List of String`.
fn argument_label(ty: &Value) -> String {
    signature_type(ty)
        .split(' ')
        .map(|word| match word {
            "of" => "of".to_string(),
            "bool" => "Boolean".to_string(),
            other => {
                let mut chars = other.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks the page of provider function `name` against its entry under `functions` in
/// `providers schema -json`.
fn check_function_page(name: &str, function: &Value) -> Vec<String> {
    let page = repo().join(format!("docs/functions/{name}.md"));
    let shown = format!("docs/functions/{name}.md");
    if !page.exists() {
        return vec![format!("function {name}: no page at {shown}")];
    }
    let markdown = read(&page);
    let mut problems = Vec::new();
    match front_matter(&markdown) {
        None => problems.push(format!("{shown}: no front matter")),
        Some(keys) => {
            for key in ["page_title", "subcategory", "description"] {
                if !keys.contains_key(key) {
                    problems.push(format!("{shown}: front matter lacks `{key}`"));
                }
            }
        }
    }
    let headings: Vec<&str> = prose_lines(&markdown)
        .into_iter()
        .map(|(_, l)| l.trim_end())
        .collect();
    let title = format!("# function: {name}");
    for section in [
        title.as_str(),
        "## Example Usage",
        "## Signature",
        "## Arguments",
        "## Return Value",
    ] {
        if !headings.contains(&section) {
            problems.push(format!("{shown}: no `{section}` line"));
        }
    }

    let parameters = function["parameters"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut spelled: Vec<String> = parameters
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap_or_default(),
                signature_type(&p["type"])
            )
        })
        .collect();
    if let Some(variadic) = function.get("variadic_parameter").filter(|v| v.is_object()) {
        spelled.push(format!(
            "...{} {}",
            variadic["name"].as_str().unwrap_or_default(),
            signature_type(&variadic["type"])
        ));
    }
    let signature = format!(
        "{name}({}) {}",
        spelled.join(", "),
        signature_type(&function["return_type"])
    );
    let blocks = code_blocks(&markdown);
    if !blocks
        .iter()
        .any(|(info, body)| info == "text" && body.trim_end() == signature)
    {
        problems.push(format!(
            "{shown}: no ```text block holding the signature `{signature}`"
        ));
    }

    // The numbered arguments, in order, with their types: ``1. `name` (String) ...``.
    let item = regex::Regex::new(r"^(\d+)\. `([a-z0-9_]+)` \(([^)]+)\)").expect("static regex");
    let mut in_arguments = false;
    let mut documented = Vec::new();
    for (_, line) in prose_lines(&markdown) {
        if let Some(title) = line.strip_prefix("## ") {
            in_arguments = title.trim() == "Arguments";
            continue;
        }
        if in_arguments {
            if let Some(c) = item.captures(line) {
                documented.push((c[1].to_string(), c[2].to_string(), c[3].to_string()));
            }
        }
    }
    let expected: Vec<(String, String, String)> = parameters
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                (i + 1).to_string(),
                p["name"].as_str().unwrap_or_default().to_string(),
                argument_label(&p["type"]),
            )
        })
        .collect();
    if documented != expected {
        problems.push(format!(
            "{shown}: the arguments are documented as {documented:?}, the function takes {expected:?}"
        ));
    }

    let example = repo().join(format!("examples/functions/{name}/function.tf"));
    if !example.exists() {
        problems.push(format!(
            "{shown}: its example examples/functions/{name}/function.tf does not exist"
        ));
    } else {
        let content = read(&example);
        if !blocks
            .iter()
            .any(|(_, body)| body.trim_end() == content.trim_end())
        {
            problems.push(format!(
                "{shown}: does not show examples/functions/{name}/function.tf verbatim"
            ));
        }
    }
    problems
}

/// Function names that have a page in `docs/functions/`.
fn documented_functions() -> Vec<String> {
    let dir = repo().join("docs/functions");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| {
                    let name = e.ok()?.file_name().to_string_lossy().into_owned();
                    Some(name.strip_suffix(".md")?.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Checks the function pages; Terraform before 1.8 reports no functions, and then they are
/// not checked.
fn check_function_docs(provider: &Value) -> Vec<String> {
    let Some(functions) = provider["functions"].as_object() else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for (name, function) in functions {
        problems.extend(check_function_page(name, function));
    }
    for documented in documented_functions() {
        if !functions.contains_key(&documented) {
            problems.push(format!(
                "docs/functions/{documented}.md documents a function the provider does not have"
            ));
        }
    }
    problems
}

/// Checks every page against a provider's schemas, as `providers schema -json` gives them
/// under `provider_schemas[ADDRESS]`.
fn check_docs(provider: &Value) -> Vec<String> {
    // Set false by the caller for Terraform before 1.11 (see `check_page`).
    let reports_write_only = provider["write_only_reported"] != false;
    let mut problems = check_page(
        Kind::Provider,
        "alikafka",
        &provider["provider"]["block"],
        reports_write_only,
    );
    for (kind, key) in [
        (Kind::Resource, "resource_schemas"),
        (Kind::DataSource, "data_source_schemas"),
        (Kind::ListResource, "list_resource_schemas"),
        (Kind::Action, "action_schemas"),
    ] {
        // Terraform before 1.14 reports neither list resources nor actions.
        if kind.is_newer() && provider["reports_list_resources_and_actions"] == false {
            continue;
        }
        let schemas = provider[key].as_object().cloned().unwrap_or_default();
        if schemas.is_empty() {
            problems.push(format!("the schema has no {key}"));
        }
        for (type_name, schema) in &schemas {
            problems.extend(check_page(
                kind,
                type_name,
                &schema["block"],
                reports_write_only,
            ));
        }
        for documented in documented_types(kind) {
            if !schemas.contains_key(&documented) {
                problems.push(format!(
                    "{} documents {documented}, which the provider does not have",
                    doc_page(kind, &documented).display()
                ));
            }
        }
    }
    problems.extend(check_function_docs(provider));
    problems
}

fn assert_no_problems(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} problem(s) in the docs:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Examples: which Terraform can read which file
// ---------------------------------------------------------------------------------------------

/// Every example directory: `examples/provider`, `examples/quickstart`, `examples/policy`,
/// `examples/resources/*`, `examples/data-sources/*`, `examples/functions/*`,
/// `examples/list-resources/*`, `examples/actions/*`.
fn example_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(repo().join("examples")).expect("examples/") {
        let path = entry.expect("entry").path();
        if !path.is_dir() {
            continue;
        }
        let nested = [
            "resources",
            "data-sources",
            "functions",
            "list-resources",
            "actions",
        ]
        .iter()
        .any(|n| path.ends_with(n));
        if nested {
            for sub in std::fs::read_dir(&path).expect("examples subdir") {
                let sub = sub.expect("entry").path();
                if sub.is_dir() {
                    dirs.push(sub);
                }
            }
        } else {
            dirs.push(path);
        }
    }
    dirs.sort();
    dirs
}

/// The oldest Terraform (major, minor) that reads a file: `import` and `check` blocks need 1.5,
/// provider functions (`provider::`) 1.8, write-only arguments (`*_wo = ...`) 1.11, imports
/// by identity 1.12, actions 1.14; an explicit `required_version = ">= X.Y"` says so itself.
fn minimum_terraform(content: &str) -> (u32, u32) {
    let mut minimum = (1, 0);
    let required =
        regex::Regex::new(r#"required_version\s*=\s*">=\s*(\d+)\.(\d+)"#).expect("static regex");
    if let Some(c) = required.captures(content) {
        minimum = minimum.max((c[1].parse().unwrap_or(1), c[2].parse().unwrap_or(0)));
    }
    if content
        .lines()
        .any(|l| l.starts_with("import {") || l.starts_with("check \""))
    {
        minimum = minimum.max((1, 5));
    }
    let write_only = regex::Regex::new(r"^\s*[a-z0-9_]+_wo\s*=").expect("static regex");
    if content.lines().any(|l| write_only.is_match(l)) {
        minimum = minimum.max((1, 11));
    }
    if content.contains("provider::") {
        minimum = minimum.max((1, 8));
    }
    // `import { identity = {...} }`.
    if content
        .lines()
        .any(|l| l.trim_start().starts_with("identity = {"))
    {
        minimum = minimum.max((1, 12));
    }
    if content.lines().any(|l| l.starts_with("action \"")) {
        minimum = minimum.max((1, 14));
    }
    minimum
}

/// The `.tf` files of an example directory that a Terraform version can read, or None when
/// the directory as a whole needs a newer Terraform.
fn tf_files_for(dir: &Path, tf: &Terraform) -> Option<Vec<(String, String)>> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("example dir")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_string_lossy().into_owned();
            is_example_file(&name).then(|| (name, read(&path)))
        })
        .collect();
    files.sort();
    // A directory's own version requirement rules it out as a whole.
    if files.iter().any(|(_, c)| {
        c.contains("required_version") && {
            let (ma, mi) = minimum_terraform(c);
            !tf.at_least(ma, mi)
        }
    }) {
        return None;
    }
    files.retain(|(name, c)| {
        let (ma, mi) = minimum_terraform(c);
        // `terraform query` files: Terraform 1.14 and later.
        let (ma, mi) = if is_query_file(name) {
            (ma, mi).max((1, 14))
        } else {
            (ma, mi)
        };
        tf.at_least(ma, mi)
    });
    Some(files)
}

fn is_query_file(name: &str) -> bool {
    name.ends_with(".tfquery.hcl")
}

/// A configuration file of an example: `.tf`, or `.tfquery.hcl` for list resources.
fn is_example_file(name: &str) -> bool {
    name.ends_with(".tf") || is_query_file(name)
}

const REQUIRED_PROVIDERS: &str = "terraform {\n  required_providers {\n    alikafka = {\n      source = \"alikafka/alikafka\"\n    }\n  }\n}\n";

/// A workspace holding an example's files (plus `required_providers` when the example, like
/// the Registry's per-resource snippets, has none), for our provider via dev_overrides.
fn example_workspace(ws: &Workspace, files: &[(String, String)]) {
    for (name, content) in files {
        ws.write_file(name, content);
    }
    if !files.iter().any(|(_, c)| c.contains("required_providers")) {
        ws.write_file("versions.tf", REQUIRED_PROVIDERS);
    }
}

// ---------------------------------------------------------------------------------------------
// With real Terraform and our provider (needs the provider binary: see the module docs)
// ---------------------------------------------------------------------------------------------

/// `terraform providers schema -json` for our provider.
fn provider_schema(tf: &Terraform) -> Value {
    let ws = Workspace::bare(tf);
    ws.write_config("");
    let run = ws.ok(&["providers", "schema", "-json"]);
    // The JSON document is one line; dev_overrides' warning goes to stderr, but be tolerant.
    let line = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with('{'))
        .unwrap_or_else(|| {
            panic!(
                "no JSON from providers schema ({}):\n{}",
                tf.version,
                run.combined()
            )
        });
    let all: Value = serde_json::from_str(line).expect("providers schema JSON");
    all["provider_schemas"][PROVIDER_SOURCE].clone()
}

#[test]
fn docs_match_the_provider_schema_reported_by_terraform() {
    for_each_terraform(|tf| {
        let mut provider = provider_schema(&tf);
        assert!(
            provider.is_object(),
            "Terraform {} reported no schema for {PROVIDER_SOURCE}",
            tf.version
        );
        provider["write_only_reported"] = json!(tf.at_least(1, 11));
        provider["reports_list_resources_and_actions"] = json!(tf.at_least(1, 14));
        let problems = check_docs(&provider);
        assert!(
            problems.is_empty(),
            "Terraform {}: {} problem(s) in the docs:\n  {}",
            tf.version,
            problems.len(),
            problems.join("\n  ")
        );
    });
}

#[test]
fn examples_are_formatted() {
    for_each_terraform(|tf| {
        let ws = Workspace::bare(&tf);
        // The files this Terraform can parse (provider function calls need 1.8; fmt reads
        // syntax only, so newer blocks are fine), copied with their paths so that
        // `fmt -recursive` reports them by name.
        let readable = ws.path().join("examples");
        let (mut copied, mut left_out) = (0, 0);
        for dir in example_dirs() {
            let target = readable.join(
                dir.strip_prefix(repo().join("examples"))
                    .expect("under examples/"),
            );
            std::fs::create_dir_all(&target).expect("example copy dir");
            for entry in std::fs::read_dir(&dir).expect("example dir").flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.ends_with(".tf") {
                    continue;
                }
                let content = read(&entry.path());
                if content.contains("provider::") && !tf.at_least(1, 8) {
                    left_out += 1;
                    continue;
                }
                std::fs::write(target.join(&name), content).expect("example copy");
                copied += 1;
            }
        }
        let expected_left_out = if tf.at_least(1, 8) {
            0
        } else {
            documented_functions().len()
        };
        assert_eq!(left_out, expected_left_out, "Terraform {}", tf.version);
        assert!(
            copied > 10,
            "only {copied} example files for {}",
            tf.version
        );
        let run = ws.run(&[
            "fmt",
            "-check",
            "-recursive",
            "-diff",
            "-no-color",
            readable.to_str().expect("utf-8 path"),
        ]);
        assert_eq!(
            run.code,
            0,
            "terraform fmt ({}) would change these examples:\n{}",
            tf.version,
            run.combined()
        );
    });
}

#[test]
fn examples_validate_with_the_provider() {
    for_each_terraform(|tf| {
        let mut skipped = Vec::new();
        for dir in example_dirs() {
            let has_tf = std::fs::read_dir(&dir)
                .expect("example dir")
                .flatten()
                .any(|e| is_example_file(&e.file_name().to_string_lossy()));
            assert!(has_tf, "{} has no configuration file", dir.display());
            let Some(files) = tf_files_for(&dir, &tf).filter(|files| !files.is_empty()) else {
                skipped.push(dir);
                continue;
            };
            // `import-by-*.tf` are alternatives (one import block per resource): each is
            // validated with the rest of the example, apart from the others.
            let (imports, common): (Vec<_>, Vec<_>) = files
                .into_iter()
                .partition(|(name, _)| name.starts_with("import-by-"));
            let alternatives: Vec<Vec<(String, String)>> = if imports.is_empty() {
                vec![common]
            } else {
                imports
                    .into_iter()
                    .map(|import| common.iter().cloned().chain([import]).collect())
                    .collect()
            };
            for files in alternatives {
                let ws = Workspace::bare(&tf);
                example_workspace(&ws, &files);
                let mut validate = vec!["validate", "-no-color"];
                if files.iter().any(|(name, _)| is_query_file(name)) {
                    validate.push("-query");
                }
                let run = ws.run(&validate);
                assert_eq!(
                    run.code,
                    0,
                    "terraform validate ({}) of {} {:?}:\n{}",
                    tf.version,
                    dir.display(),
                    files.iter().map(|(name, _)| name).collect::<Vec<_>>(),
                    run.combined()
                );
            }
        }
        // The list resource and action examples (1.14), the team tenancy module (write-only
        // password, 1.11), the function examples (1.8) and the policy example (check
        // blocks, 1.5) need a newer Terraform than 1.0.
        let mut expected: Vec<PathBuf> = Vec::new();
        if !tf.at_least(1, 14) {
            for (dir, kind) in [
                ("list-resources", Kind::ListResource),
                ("actions", Kind::Action),
            ] {
                expected.extend(
                    documented_types(kind)
                        .iter()
                        .map(|t| repo().join("examples").join(dir).join(t)),
                );
            }
        }
        if !tf.at_least(1, 8) {
            expected.extend(
                documented_functions()
                    .iter()
                    .map(|f| repo().join("examples/functions").join(f)),
            );
        }
        if !tf.at_least(1, 5) {
            expected.push(repo().join("examples/policy"));
        }
        if !tf.at_least(1, 11) {
            expected.push(repo().join("examples/team-tenancy"));
        }
        expected.sort();
        skipped.sort();
        assert_eq!(skipped, expected, "Terraform {}", tf.version);
    });
}

/// The policy guide's walk-through: passes on the quickstart's topics, warns on lag, fails on
/// a partition minimum; what `terraform show -json` records for the check.
#[test]
fn policy_example_warns_on_lag_and_fails_on_rules() {
    let tf = terraform("1.15.5");
    let emulator = Emulator::start();

    // Seed: the quickstart's topics (orders has 12 partitions) and group billing-service.
    let mut seed = Workspace::new(&tf, &emulator);
    seed.set_env("TF_VAR_endpoint", &emulator.url);
    seed.write_file(
        "main.tf",
        &read(&repo().join("examples/quickstart/main.tf")),
    );
    seed.apply();

    let mut ws = Workspace::new(&tf, &emulator);
    ws.set_env("TF_VAR_endpoint", &emulator.url);
    for name in ["main.tf", "variables.tf"] {
        ws.write_file(name, &read(&repo().join("examples/policy").join(name)));
    }

    let passing = ws.ok(&["plan", "-no-color", "-input=false"]);
    assert!(
        !passing.flat().contains("Check block assertion failed"),
        "no lag yet, no warning:\n{}",
        passing.combined()
    );

    // 50 messages on orders/0, billing-service committed at 0: a lag of 50.
    emulator.control_post(
        "messages",
        json!({"instance_id": common::INSTANCE_HZ, "topic": "orders", "partition": 0, "count": 50}),
    );
    emulator.control_post(
        "offsets",
        json!({"instance_id": common::INSTANCE_HZ, "consumer_id": "billing-service", "topic": "orders", "partition": 0, "offset": 0}),
    );

    let warned = ws.ok(&[
        "plan",
        "-no-color",
        "-input=false",
        "-var",
        "max_lag=10",
        "-out=policy.tfplan",
    ]);
    let flat = warned.flat();
    assert!(flat.contains("Check block assertion failed"), "{flat}");
    assert!(
        flat.contains("Consumer group billing-service is 50 messages behind (limit 10)."),
        "{flat}"
    );
    let shown = ws.ok(&["show", "-json", "policy.tfplan"]);
    let plan: Value = serde_json::from_str(&shown.stdout).expect("plan JSON");
    let lag_check = plan["checks"]
        .as_array()
        .and_then(|checks| {
            checks
                .iter()
                .find(|c| c["address"]["to_display"] == "check.consumer_lag")
        })
        .unwrap_or_else(|| panic!("no check.consumer_lag in {}", plan["checks"]));
    assert_eq!(lag_check["status"], "fail", "{lag_check}");

    let failed = ws.fails(&[
        "plan",
        "-no-color",
        "-input=false",
        "-var",
        "min_partitions={ orders = 24 }",
    ]);
    assert!(failed.contains("precondition failed"), "{failed}");
    assert!(failed.contains("orders has 12, needs 24"), "{failed}");

    let missing = ws.fails(&[
        "plan",
        "-no-color",
        "-input=false",
        "-var",
        "min_partitions={ inventory = 1 }",
    ]);
    assert!(missing.contains("inventory has 0, needs 1"), "{missing}");
}

// ---------------------------------------------------------------------------------------------
// Without Terraform: the parser, the comparison, and the docs against the schema contract
// ---------------------------------------------------------------------------------------------

const SAMPLE_PAGE: &str = r#"---
page_title: "x_thing Resource - x"
subcategory: ""
description: |-
  A thing.
---

# x_thing (Resource)

## Example Usage

```terraform
resource "x_thing" "a" {
  name = "a"
}
```

## Argument Reference

### Required

- `name` (String) The name.

### Optional

- `secret` (String, Sensitive) A secret.
- `secret_wo` (String, Sensitive, Write-only) A secret never stored.
- `timeouts` (Attributes) Time limits (see [below](#nestedatt--timeouts)).

## Attribute Reference

### Read-Only

- `id` (String) The ID.
- `items` (List of Object) Items (see below).

<a id="nestedatt--timeouts"></a>
### Nested Schema for `timeouts`

Optional:

- `create` (String) Create limit.

### Nested Schema for `items`

Read-Only:

- `size` (Number) Size.

## Import

- `name` is what you import by (prose lists outside the schema sections are ignored).
"#;

fn sample_schema() -> Value {
    json!({
        "attributes": {
            "name": {"type": "string", "required": true},
            "secret": {"type": "string", "optional": true, "sensitive": true},
            "secret_wo": {"type": "string", "optional": true, "sensitive": true, "write_only": true},
            "id": {"type": "string", "computed": true},
            "items": {"type": ["list", ["object", {"size": "number"}]], "computed": true},
            "timeouts": {
                "nested_type": {"nesting_mode": "single", "attributes": {"create": {"type": "string", "optional": true}}},
                "optional": true
            }
        }
    })
}

#[test]
fn parser_reads_the_write_only_flag() {
    let page = "## Argument Reference\n\n### Optional\n\n- `password_wo` (String, Sensitive, Write-only) A password.\n";
    let attrs = parse_doc_attributes(page).expect("parses");
    assert!(attrs[0].sensitive && attrs[0].write_only, "{attrs:?}");
}

#[test]
fn parser_reads_attributes_with_paths_types_and_categories() {
    let attrs = parse_doc_attributes(SAMPLE_PAGE).expect("sample page parses");
    let write_only: Vec<&str> = attrs
        .iter()
        .filter(|a| a.write_only)
        .map(|a| a.path.as_str())
        .collect();
    assert_eq!(write_only, ["secret_wo"]);
    let summary: Vec<(String, String, Category, bool)> = attrs
        .iter()
        .map(|a| {
            (
                a.path.clone(),
                a.type_label.clone(),
                a.category,
                a.sensitive,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("name".into(), "String".into(), Category::Required, false),
            ("secret".into(), "String".into(), Category::Optional, true),
            (
                "secret_wo".into(),
                "String".into(),
                Category::Optional,
                true
            ),
            (
                "timeouts".into(),
                "Attributes".into(),
                Category::Optional,
                false
            ),
            ("id".into(), "String".into(), Category::ReadOnly, false),
            (
                "items".into(),
                "List of Object".into(),
                Category::ReadOnly,
                false
            ),
            (
                "timeouts.create".into(),
                "String".into(),
                Category::Optional,
                false
            ),
            (
                "items.size".into(),
                "Number".into(),
                Category::ReadOnly,
                false
            ),
        ]
    );
    assert_eq!(
        front_matter(SAMPLE_PAGE).expect("front matter")["page_title"],
        "\"x_thing Resource - x\""
    );
    let blocks = code_blocks(SAMPLE_PAGE);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].0, "terraform");
    assert_eq!(
        blocks[0].1,
        "resource \"x_thing\" \"a\" {\n  name = \"a\"\n}\n"
    );
}

#[test]
fn parser_rejects_malformed_attribute_lists() {
    let bad_format = SAMPLE_PAGE.replace("- `id` (String) The ID.", "- id: the ID");
    let problems = parse_doc_attributes(&bad_format).expect_err("malformed item");
    assert!(problems[0].contains("not in the form"), "{problems:?}");

    let bad_type = SAMPLE_PAGE.replace("- `id` (String)", "- `id` (Text)");
    let problems = parse_doc_attributes(&bad_type).expect_err("unknown type");
    assert!(
        problems[0].contains("unknown type \"Text\""),
        "{problems:?}"
    );

    let twice = SAMPLE_PAGE.replace(
        "- `id` (String) The ID.",
        "- `id` (String) The ID.\n- `id` (String) Again.",
    );
    let problems = parse_doc_attributes(&twice).expect_err("duplicate");
    assert!(problems[0].contains("documented twice"), "{problems:?}");

    let uncategorised = SAMPLE_PAGE.replace("### Required\n", "");
    let problems = parse_doc_attributes(&uncategorised).expect_err("no category");
    assert!(problems[0].contains("not under Required"), "{problems:?}");
}

#[test]
fn schema_flattening_covers_nested_attributes_and_object_fields() {
    let flat = flatten_block(&sample_schema());
    let paths: Vec<&str> = flat.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "id",
            "items",
            "items.size",
            "name",
            "secret",
            "secret_wo",
            "timeouts",
            "timeouts.create"
        ]
    );
    let wo = flat
        .iter()
        .find(|a| a.path == "secret_wo")
        .expect("secret_wo");
    assert_eq!(wo.write_only, Some(true));
    let items_size = flat
        .iter()
        .find(|a| a.path == "items.size")
        .expect("items.size");
    assert_eq!(items_size.category, Category::ReadOnly);
    assert_eq!(items_size.type_labels, vec!["Number"]);
    let timeouts = flat
        .iter()
        .find(|a| a.path == "timeouts")
        .expect("timeouts");
    assert_eq!(timeouts.type_labels, vec!["Attributes", "Object"]);
}

#[test]
fn comparison_reports_every_kind_of_difference() {
    let docs = parse_doc_attributes(SAMPLE_PAGE).expect("parses");
    assert_eq!(
        compare("p", &docs, &flatten_block(&sample_schema())),
        Vec::<String>::new()
    );

    let mut schema = sample_schema();
    let attrs = schema["attributes"].as_object_mut().expect("attributes");
    attrs.remove("secret");
    attrs.insert("extra".into(), json!({"type": "bool", "optional": true}));
    attrs.insert("name".into(), json!({"type": "number", "optional": true}));
    attrs["id"]["sensitive"] = json!(true);
    attrs["secret_wo"]["write_only"] = json!(false);
    let problems = compare("p", &docs, &flatten_block(&schema));
    let joined = problems.join("\n");
    assert!(
        joined.contains("`extra` is in the schema but not documented"),
        "{joined}"
    );
    assert!(
        joined.contains("`secret` is documented but not in the schema"),
        "{joined}"
    );
    assert!(
        joined.contains("`name` is documented as Required but the schema says Optional"),
        "{joined}"
    );
    assert!(
        joined.contains("`name` is documented as (String)"),
        "{joined}"
    );
    assert!(
        joined.contains("`id` sensitive in docs: false, in the schema: true"),
        "{joined}"
    );
    assert!(
        joined.contains("`secret_wo` write-only in docs: true, in the schema: false"),
        "{joined}"
    );
    assert_eq!(problems.len(), 6, "{joined}");
    // Terraform before 1.11 reports no write-only flag: nothing to compare.
    let mut old_schema = sample_schema();
    old_schema["attributes"]["secret_wo"]
        .as_object_mut()
        .expect("secret_wo")
        .remove("write_only");
    assert_eq!(
        compare("p", &docs, &flatten_block(&old_schema)),
        Vec::<String>::new()
    );
}

#[test]
fn minimum_terraform_reads_version_needs_from_files() {
    assert_eq!(minimum_terraform("resource \"a\" \"b\" {}\n"), (1, 0));
    assert_eq!(
        minimum_terraform("import {\n  to = a.b\n  id = \"x\"\n}\n"),
        (1, 5)
    );
    assert_eq!(minimum_terraform("check \"x\" {\n}\n"), (1, 5));
    assert_eq!(
        minimum_terraform("terraform {\n  required_version = \">= 1.7\"\n}\n"),
        (1, 7)
    );
    assert_eq!(
        minimum_terraform("resource \"a\" \"b\" {\n  password_wo = \"x\"\n}\n"),
        (1, 11)
    );
    assert_eq!(
        minimum_terraform("resource \"a\" \"b\" {\n  password_wo_version = 1\n}\n"),
        (1, 0)
    );
    let policy = read(&repo().join("examples/policy/main.tf"));
    assert_eq!(minimum_terraform(&policy), (1, 5));
}

/// The schema contract the provider is written to, in `providers schema -json` form, so that
/// the docs are checked without a provider binary. The test against real Terraform above is
/// the authority: when the two disagree, the provider's schema wins and this follows it.
fn contract_schema() -> Value {
    fn attr(ty: Value, flags: &str) -> Value {
        let mut a = json!({ "type": ty });
        for flag in flags.split(',') {
            a[flag] = json!(true);
        }
        a
    }
    fn obj(fields: &[(&str, &str)]) -> Value {
        let map: serde_json::Map<String, Value> = fields
            .iter()
            .map(|(k, t)| ((*k).to_string(), json!(t)))
            .collect();
        json!(["object", map])
    }
    /// `obj` with these fields of type map(string) added.
    fn with_maps(mut object: Value, names: &[&str]) -> Value {
        for name in names {
            object[1][*name] = json!(["map", "string"]);
        }
        object
    }
    fn timeouts(names: &[&str]) -> Value {
        let attrs: serde_json::Map<String, Value> = names
            .iter()
            .map(|n| {
                (
                    (*n).to_string(),
                    json!({"type": "string", "optional": true}),
                )
            })
            .collect();
        json!({"nested_type": {"nesting_mode": "single", "attributes": attrs}, "optional": true})
    }
    let s = || json!("string");
    let n = || json!("number");
    let list_s = || json!(["list", "string"]);
    let map_s = || json!(["map", "string"]);
    let list_config = || {
        json!({"block": {"attributes": {
            "instance_id": attr(s(), "required"),
            "name_regex": attr(s(), "optional"),
            "tags": attr(map_s(), "optional"),
        }}})
    };
    // Kinds without tags have no tags filter.
    let untagged_list_config = || {
        json!({"block": {"attributes": {
            "instance_id": attr(s(), "required"),
            "name_regex": attr(s(), "optional"),
        }}})
    };
    json!({
        "list_resource_schemas": {
            "alikafka_topic": list_config(),
            "alikafka_consumer_group": list_config(),
            "alikafka_sasl_user": untagged_list_config(),
            "alikafka_instance_allowed_ip_attachment": untagged_list_config(),
        },
        "action_schemas": {
            "alikafka_consumer_offset_reset": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "consumer_id": attr(s(), "required"),
                "topic": attr(s(), "required"),
                "to": attr(s(), "optional"),
                "timestamp": attr(s(), "optional"),
                "offsets": attr(json!(["map", "number"]), "optional"),
            }}},
        },
        "provider": {"block": {"attributes": {
            "access_key": attr(s(), "optional"),
            "secret_key": attr(s(), "optional,sensitive"),
            "security_token": attr(s(), "optional,sensitive"),
            "region": attr(s(), "optional"),
            "profile": attr(s(), "optional"),
            "shared_credentials_file": attr(s(), "optional"),
            "endpoint": attr(s(), "optional"),
            "insecure_http": attr(json!("bool"), "optional"),
            "max_retries": attr(n(), "optional"),
            "request_timeout": attr(s(), "optional"),
            "requests_per_second": attr(n(), "optional"),
            "create_topic_requests_per_second": attr(n(), "optional"),
            "ecs_role_name": attr(s(), "optional"),
            "credentials_uri": attr(s(), "optional"),
            "sts_endpoint": attr(s(), "optional"),
            "shared_rate_limits": attr(json!("bool"), "optional"),
            "shared_rate_limits_dir": attr(s(), "optional"),
        }, "block_types": {
            "assume_role": {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {
                "role_arn": attr(s(), "optional"),
                "session_name": attr(s(), "optional"),
                "policy": attr(s(), "optional"),
                "session_expiration": attr(n(), "optional"),
                "external_id": attr(s(), "optional"),
            }}},
            "assume_role_with_oidc": {"nesting_mode": "list", "max_items": 1, "block": {"attributes": {
                "oidc_provider_arn": attr(s(), "optional"),
                "role_arn": attr(s(), "optional"),
                "oidc_token": attr(s(), "optional,sensitive"),
                "oidc_token_file": attr(s(), "optional"),
                "role_session_name": attr(s(), "optional"),
                "policy": attr(s(), "optional"),
                "session_expiration": attr(n(), "optional"),
            }}},
            "default_tags": {"nesting_mode": "single", "block": {"attributes": {
                "tags": attr(map_s(), "optional"),
            }}},
            "ignore_tags": {"nesting_mode": "single", "block": {"attributes": {
                "keys": attr(json!(["set", "string"]), "optional"),
                "key_prefixes": attr(json!(["set", "string"]), "optional"),
            }}},
        }}},
        "resource_schemas": {
            "alikafka_topic": {"block": {"attributes": {
                "id": attr(s(), "computed"),
                "instance_id": attr(s(), "required"),
                "topic": attr(s(), "required"),
                "remark": attr(s(), "required"),
                "partition_num": attr(n(), "optional,computed"),
                "local_topic": attr(json!("bool"), "optional,computed"),
                "compact_topic": attr(json!("bool"), "optional,computed"),
                "region_id": attr(s(), "computed"),
                "status": attr(n(), "computed"),
                "status_name": attr(s(), "computed"),
                "create_time": attr(n(), "computed"),
                "replication_factor": attr(n(), "optional,computed"),
                "min_insync_replicas": attr(n(), "optional,computed"),
                "config": attr(map_s(), "optional,computed"),
                "effective_config": attr(map_s(), "computed"),
                "tags": attr(map_s(), "optional"),
                "tags_all": attr(map_s(), "computed"),
                "timeouts": timeouts(&["create", "update", "delete"]),
            }}},
            "alikafka_consumer_group": {"block": {"attributes": {
                "id": attr(s(), "computed"),
                "instance_id": attr(s(), "required"),
                "consumer_id": attr(s(), "required"),
                "remark": attr(s(), "optional"),
                "region_id": attr(s(), "computed"),
                "tags": attr(map_s(), "optional"),
                "tags_all": attr(map_s(), "computed"),
                "timeouts": timeouts(&["create", "update", "delete"]),
            }}},
            "alikafka_sasl_user": {"block": {"attributes": {
                "id": attr(s(), "computed"),
                "instance_id": attr(s(), "required"),
                "username": attr(s(), "required"),
                "type": attr(s(), "optional,computed"),
                "mechanism": attr(s(), "optional,computed"),
                "password_wo": attr(s(), "optional,sensitive,write_only"),
                "password_wo_version": attr(n(), "optional"),
                "password": attr(s(), "optional,sensitive"),
                "password_set_at": attr(s(), "computed"),
                "region_id": attr(s(), "computed"),
                "timeouts": timeouts(&["create", "update", "delete"]),
            }}},
            "alikafka_sasl_acl": {"block": {"attributes": {
                "id": attr(s(), "computed"),
                "instance_id": attr(s(), "required"),
                "username": attr(s(), "required"),
                "acl_resource_type": attr(s(), "required"),
                "acl_resource_name": attr(s(), "required"),
                "acl_resource_pattern_type": attr(s(), "required"),
                "acl_operation_type": attr(s(), "required"),
                "acl_operation_types": attr(s(), "optional"),
                "acl_permission_type": attr(s(), "optional,computed"),
                "host": attr(s(), "optional,computed"),
                "timeouts": timeouts(&["create", "delete"]),
            }}},
            "alikafka_instance_allowed_ip_attachment": {"block": {"attributes": {
                "id": attr(s(), "computed"),
                "instance_id": attr(s(), "required"),
                "allowed_type": attr(s(), "required"),
                "port_range": attr(s(), "required"),
                "allowed_ip": attr(s(), "required"),
                "description": attr(s(), "optional"),
                "timeouts": timeouts(&["create", "delete"]),
            }}},
        },
        "data_source_schemas": {
            "alikafka_instances": {"block": {"attributes": {
                "ids": attr(list_s(), "optional,computed"),
                "name_regex": attr(s(), "optional"),
                "names": attr(list_s(), "computed"),
                "instances": attr(json!(["list", obj(&[
                    ("id", "string"), ("name", "string"), ("region_id", "string"),
                    ("deploy_type", "number"), ("service_status", "number"),
                    ("end_point", "string"), ("ssl_end_point", "string"), ("sasl_end_point", "string"),
                    ("vpc_id", "string"), ("vswitch_id", "string"),
                    ("create_time", "number"), ("expired_time", "number"),
                    ("open_source_version", "string"),
                ])]), "computed"),
            }}},
            "alikafka_topics": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "name_regex": attr(s(), "optional"),
                "tags": attr(map_s(), "optional"),
                "ids": attr(list_s(), "optional,computed"),
                "names": attr(list_s(), "computed"),
                "topics": attr(json!(["list", with_maps(obj(&[
                    ("id", "string"), ("topic", "string"), ("instance_id", "string"),
                    ("region_id", "string"), ("remark", "string"), ("partition_num", "number"),
                    ("create_time", "number"), ("status", "number"), ("status_name", "string"),
                    ("local_topic", "bool"), ("compact_topic", "bool"),
                ]), &["config", "tags"])]), "computed"),
            }}},
            "alikafka_consumer_groups": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "name_regex": attr(s(), "optional"),
                "tags": attr(map_s(), "optional"),
                "ids": attr(list_s(), "optional,computed"),
                "names": attr(list_s(), "computed"),
                "groups": attr(json!(["list", with_maps(obj(&[
                    ("id", "string"), ("consumer_id", "string"), ("instance_id", "string"),
                    ("remark", "string"), ("region_id", "string"),
                ]), &["tags"])]), "computed"),
            }}},
            "alikafka_topic_status": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "topic": attr(s(), "required"),
                "total_count": attr(n(), "computed"),
                "last_time_stamp": attr(n(), "computed"),
                "offsets": attr(json!(["list", obj(&[
                    ("partition", "number"), ("min_offset", "number"),
                    ("max_offset", "number"), ("last_update_timestamp", "number"),
                ])]), "computed"),
            }}},
            "alikafka_consumer_progress": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "consumer_id": attr(s(), "required"),
                "total_diff": attr(n(), "computed"),
                "last_timestamp": attr(n(), "computed"),
                "topics": attr(json!(["list", ["object", {
                    "topic": "string",
                    "total_diff": "number",
                    "last_timestamp": "number",
                    "partitions": ["list", obj(&[
                        ("partition", "number"), ("broker_offset", "number"),
                        ("consumer_offset", "number"), ("last_timestamp", "number"),
                    ])],
                }]]), "computed"),
            }}},
            "alikafka_sasl_users": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "ids": attr(list_s(), "optional,computed"),
                "name_regex": attr(s(), "optional"),
                "names": attr(list_s(), "computed"),
                "users": attr(json!(["list", obj(&[
                    ("id", "string"), ("username", "string"), ("type", "string"),
                    ("mechanism", "string"),
                ])]), "computed"),
            }}},
            "alikafka_sasl_acls": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "username": attr(s(), "required"),
                "acl_resource_type": attr(s(), "required"),
                "acl_resource_name": attr(s(), "required"),
                "acl_resource_pattern_type": attr(s(), "optional"),
                "ids": attr(list_s(), "computed"),
                "acls": attr(json!(["list", obj(&[
                    ("id", "string"), ("username", "string"),
                    ("acl_resource_type", "string"), ("acl_resource_name", "string"),
                    ("acl_resource_pattern_type", "string"), ("acl_operation_type", "string"),
                    ("acl_permission_type", "string"), ("host", "string"),
                ])]), "computed"),
            }}},
            "alikafka_allowed_ips": {"block": {"attributes": {
                "instance_id": attr(s(), "required"),
                "allowed_type": attr(s(), "optional"),
                "port_range": attr(s(), "optional"),
                "allowed_ips": attr(list_s(), "computed"),
                "entries": attr(json!(["list", obj(&[
                    ("id", "string"), ("allowed_type", "string"), ("port_range", "string"),
                    ("allowed_ip", "string"), ("description", "string"),
                ])]), "computed"),
            }}},
        },
    })
}

/// The provider functions, as `providers schema -json` of Terraform 1.8+ lists them.
fn contract_functions() -> Value {
    let p = |name: &str| json!({"name": name, "type": "string"});
    let parsed = |what: &str| json!(["object", {"instance_id": "string", what: "string"}]);
    json!({
        "topic_id": {"parameters": [p("instance_id"), p("topic")], "return_type": "string"},
        "parse_topic_id": {"parameters": [p("id")], "return_type": parsed("topic")},
        "consumer_group_id": {
            "parameters": [p("instance_id"), p("consumer_id")],
            "return_type": "string",
        },
        "parse_consumer_group_id": {"parameters": [p("id")], "return_type": parsed("consumer_id")},
        "check_name": {
            "parameters": [p("name")],
            "return_type": ["object", {"valid": "bool", "reason": "string"}],
        },
    })
}

#[test]
fn function_pages_are_checked_against_the_signature() {
    let function = &contract_functions()["topic_id"];
    assert_no_problems(&check_function_page("topic_id", function));
    let mut renamed = function.clone();
    renamed["parameters"][1]["name"] = json!("name");
    let problems = check_function_page("topic_id", &renamed);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("signature `topic_id(instance_id string, name string) string`")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("the arguments are documented as")),
        "{problems:?}"
    );
    assert_eq!(signature_type(&json!(["list", "string"])), "list of string");
    assert_eq!(argument_label(&json!(["list", "bool"])), "List of Boolean");
    let missing = check_function_page("no_such_function", function);
    assert!(missing[0].contains("no page"), "{missing:?}");
}

#[test]
fn docs_match_the_schema_contract() {
    let mut contract = contract_schema();
    contract["functions"] = contract_functions();
    assert_no_problems(&check_docs(&contract));
}

#[test]
fn every_example_directory_has_a_page_and_every_page_its_examples() {
    let mut problems = Vec::new();
    let functions = documented_functions();
    for entry in std::fs::read_dir(repo().join("examples/functions")).expect("examples/functions") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !functions.contains(&name) {
            problems.push(format!(
                "examples/functions/{name} has no page in docs/functions/"
            ));
        }
    }
    for (kind, sub) in [
        (Kind::Resource, "resources"),
        (Kind::DataSource, "data-sources"),
    ] {
        let documented = documented_types(kind);
        for entry in std::fs::read_dir(repo().join("examples").join(sub)).expect("examples dir") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if !documented.contains(&name) {
                problems.push(format!("examples/{sub}/{name} has no page in docs/{sub}/"));
            }
        }
    }
    // The provider page shows each CI credentials example whole.
    let index_blocks = code_blocks(&read(&repo().join("docs/index.md")));
    for entry in std::fs::read_dir(repo().join("examples")).expect("examples dir") {
        let dir = entry.expect("entry").path();
        let is_ci = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("ci-"));
        if !is_ci {
            continue;
        }
        let content = read(&dir.join("main.tf"));
        if !index_blocks
            .iter()
            .any(|(_, b)| b.trim_end() == content.trim_end())
        {
            problems.push(format!(
                "docs/index.md does not show {}/main.tf",
                dir.display()
            ));
        }
    }
    // The guide shows the policy example whole.
    let guide = read(&repo().join("docs/guides/policy-checks.md"));
    let blocks = code_blocks(&guide);
    for name in ["main.tf", "variables.tf"] {
        let content = read(&repo().join("examples/policy").join(name));
        if !blocks
            .iter()
            .any(|(_, b)| b.trim_end() == content.trim_end())
        {
            problems.push(format!(
                "docs/guides/policy-checks.md does not show examples/policy/{name}"
            ));
        }
    }
    // The line numbers the guide quotes from Terraform's messages are the example's.
    let main = read(&repo().join("examples/policy/main.tf"));
    let quoted = regex::Regex::new(r"(?m)^  (\d+): (.*)$").expect("static regex");
    for c in quoted.captures_iter(&guide) {
        let line: usize = c[1].parse().expect("line number");
        let actual = main.lines().nth(line - 1).unwrap_or_default();
        if actual != &c[2] {
            problems.push(format!(
                "docs/guides/policy-checks.md quotes main.tf line {line} as {:?}, but it is {actual:?}",
                &c[2]
            ));
        }
    }
    assert_no_problems(&problems);
}
