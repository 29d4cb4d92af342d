//! The docs a newcomer reads cannot rot unnoticed: every relative link in `README.md`,
//! `BENCHMARKS.md` and `docs/*.md` reaches a file (and its `#anchor` a heading there), every
//! repository path the docs name in backticks exists, the "Where is X" table of
//! `docs/architecture.md` answers what a newcomer looks for, and `docs/configuration.md` lists
//! exactly the flags and `PARTNERGRAPH_*` variables of the command line.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};

use clap::CommandFactory;
use partnergraph::cli::Cli;

/// Backticked words starting with one of these are repository paths, checked on disk.
const PATH_PREFIXES: [&str; 6] = ["src/", "tests/", "benches/", "migration/", "docs/", ".ci/"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `README.md`, `BENCHMARKS.md` and every `docs/*.md`, relative to the crate root.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md"), PathBuf::from("BENCHMARKS.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("a docs/ folder")
        .map(|entry| entry.expect("docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| PathBuf::from("docs").join(path.file_name().expect("a file name")))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

fn read(relative: &Path) -> String {
    fs::read_to_string(root().join(relative))
        .unwrap_or_else(|err| panic!("reading {}: {err}", relative.display()))
}

/// The lines outside fenced code blocks, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(marker)) => fence = Some(marker),
            (Some(open), Some(marker)) if open == marker => fence = None,
            (None, None) => lines.push((index + 1, line)),
            _ => {}
        }
    }
    lines
}

/// Splits a line into its code spans and the text outside them (code spans replaced by a
/// space). A span opened by N backticks closes at the next run of exactly N; an unclosed run is
/// literal text.
fn split_code_spans(line: &str) -> (Vec<String>, String) {
    let bytes = line.as_bytes();
    let run_at = |at: usize| bytes[at..].iter().take_while(|&&b| b == b'`').count();
    let mut spans = Vec::new();
    let mut outside = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            let next = line[i..].find('`').map_or(line.len(), |n| i + n);
            outside.push_str(&line[i..next]);
            i = next;
            continue;
        }
        let open = run_at(i);
        let mut j = i + open;
        let mut close = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let run = run_at(j);
                if run == open {
                    close = Some(j);
                    break;
                }
                j += run;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => {
                spans.push(line[i + open..end].trim().to_string());
                outside.push(' ');
                i = end + open;
            }
            None => {
                outside.push_str(&line[i..i + open]);
                i += open;
            }
        }
    }
    (spans, outside)
}

/// Inline links `[text](target)` in text outside code spans.
fn links(outside_code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = outside_code;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].trim();
        // `[text](target "title")`
        let target = target.split_whitespace().next().unwrap_or("");
        found.push(target.trim_matches(|c| c == '<' || c == '>').to_string());
        rest = &after[end + 1..];
    }
    found
}

/// GitHub's anchor for a heading: the rendered text lower-cased, without punctuation other than
/// `-` and `_`, spaces as hyphens; a repeated heading gets `-1`, `-2`, ...
fn heading_anchors(text: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.bytes().take_while(|&b| b == b'#').count();
        if !(1..=6).contains(&hashes) || !line[hashes..].starts_with(' ') {
            continue;
        }
        let title = rendered_text(line[hashes..].trim().trim_end_matches('#').trim());
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let count = seen.entry(slug.clone()).or_insert(0);
        let anchor = if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        };
        *count += 1;
        anchors.insert(anchor);
    }
    anchors
}

/// Heading text as rendered: backticks dropped (their content kept), links replaced by their
/// text.
fn rendered_text(markdown: &str) -> String {
    let without_ticks = markdown.replace('`', "");
    let mut out = String::new();
    let mut rest = without_ticks.as_str();
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](") else {
            break;
        };
        let Some(close) = rest[open + mid..].find(')') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..open + mid]);
        rest = &rest[open + mid + close + 1..];
    }
    out.push_str(rest);
    out
}

/// `base/../x` without touching the file system; `None` when it leaves the repository.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

#[test]
fn every_relative_link_and_anchor_in_the_docs_resolves() {
    let mut anchors: HashMap<PathBuf, BTreeSet<String>> = HashMap::new();
    let mut anchors_of = |file: &Path| -> BTreeSet<String> {
        anchors
            .entry(file.to_path_buf())
            .or_insert_with(|| heading_anchors(&read(file)))
            .clone()
    };
    let mut dead = Vec::new();
    let mut checked = 0;
    for doc in doc_files() {
        let text = read(&doc);
        let dir = doc.parent().unwrap_or(Path::new(""));
        for (number, line) in prose_lines(&text) {
            let (_, outside) = split_code_spans(line);
            for target in links(&outside) {
                if is_external(&target) || target.is_empty() {
                    continue;
                }
                checked += 1;
                let at = format!("{}:{number}: ({target})", doc.display());
                let (path, anchor) = match target.split_once('#') {
                    Some((path, anchor)) => (path, Some(anchor)),
                    None => (target.as_str(), None),
                };
                let file = if path.is_empty() {
                    doc.clone()
                } else {
                    match normalize(&dir.join(path)) {
                        Some(file) => file,
                        None => {
                            dead.push(format!("{at} points outside the repository"));
                            continue;
                        }
                    }
                };
                if !root().join(&file).exists() {
                    dead.push(format!("{at}: no such file {}", file.display()));
                    continue;
                }
                if let Some(anchor) = anchor {
                    if file.extension().is_none_or(|ext| ext != "md") {
                        continue;
                    }
                    if !anchors_of(&file).contains(anchor) {
                        dead.push(format!("{at}: no heading #{anchor} in {}", file.display()));
                    }
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} relative links found: is the parser broken?"
    );
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

#[test]
fn every_repository_path_the_docs_name_exists() {
    let mut missing = Vec::new();
    let mut checked = 0;
    for doc in doc_files() {
        let text = read(&doc);
        for (number, line) in prose_lines(&text) {
            let (spans, _) = split_code_spans(line);
            for span in spans {
                let Some(word) = span.split_whitespace().next() else {
                    continue;
                };
                let named_path = PATH_PREFIXES.iter().any(|p| word.starts_with(p));
                if !named_path {
                    // A Rust file named without its place in the repository cannot be checked.
                    if word.ends_with(".rs") && !word.contains("::") {
                        missing.push(format!(
                            "{}:{number}: `{word}` is not a repository-relative path",
                            doc.display()
                        ));
                    }
                    continue;
                }
                // Patterns and placeholders (`<backend>`, `*`, `{code}`, `...`) name no one file.
                if word.contains(['<', '>', '*', '{', '}']) || word.contains("...") {
                    continue;
                }
                checked += 1;
                if !root().join(word).exists() {
                    missing.push(format!("{}:{number}: `{word}`", doc.display()));
                }
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} paths found: is the parser broken?"
    );
    assert!(
        missing.is_empty(),
        "paths named in the docs that do not exist:\n{}",
        missing.join("\n")
    );
}

/// The rows of the "Where is X" table: (what, the backticked paths of its "where" cell).
fn where_is_x_rows() -> Vec<(String, Vec<String>)> {
    let text = read(Path::new("docs/architecture.md"));
    let start = text
        .find("\n## Where is X")
        .expect("docs/architecture.md has a \"## Where is X\" section");
    let section = &text[start + 1..];
    let section = section[3..]
        .find("\n## ")
        .map_or(section, |end| &section[..end + 3]);
    section
        .lines()
        .filter(|line| line.starts_with('|'))
        .skip(2) // header and separator
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            assert_eq!(cells.len(), 2, "a two-column row: {line}");
            let (paths, _) = split_code_spans(cells[1]);
            (cells[0].trim().to_string(), paths)
        })
        .collect()
}

#[test]
fn the_where_is_x_table_answers_a_newcomer() {
    let rows = where_is_x_rows();
    let mut problems = Vec::new();
    for (what, paths) in &rows {
        if paths.is_empty() {
            problems.push(format!("\"{what}\" names no path"));
        }
        for path in paths {
            if !root().join(path).exists() {
                problems.push(format!("\"{what}\": `{path}` does not exist"));
            }
        }
    }
    let topics = [
        "attribution",
        "commission rules",
        "CPA",
        "ROAS",
        "ROI",
        "AOV",
        "LTV",
        "incrementality",
        "forecast",
        "unique clicks",
        "`Creators` connection resolver",
        "redirect hot path",
        "global ID",
        "caller extractor",
        "Prometheus",
    ];
    for topic in topics {
        if !rows.iter().any(|(what, _)| what.contains(topic)) {
            problems.push(format!("no row answers \"{topic}\""));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/architecture.md, Where is X:\n{}",
        problems.join("\n")
    );
}

/// Every `PARTNERGRAPH_*` name in `text`.
fn variables_named(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("PARTNERGRAPH_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        // `PARTNERGRAPH_*` is the pattern, not a variable.
        if name.len() > "PARTNERGRAPH_".len() {
            names.insert(name.trim_end_matches('_').to_string());
        }
    }
    names
}

/// Whether `text` holds `needle` not followed by another character of a flag or variable name.
fn mentions(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        text[at + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    })
}

/// Every command of the CLI, subcommands included, with its path (`partnergraph migrate down`).
fn commands() -> Vec<(String, clap::Command)> {
    let mut all = Vec::new();
    let mut stack = vec![("partnergraph".to_string(), Cli::command())];
    while let Some((path, command)) = stack.pop() {
        for sub in command.get_subcommands() {
            stack.push((format!("{path} {}", sub.get_name()), sub.clone()));
        }
        all.push((path, command));
    }
    all
}

#[test]
fn the_configuration_doc_lists_exactly_the_command_line() {
    let doc = read(Path::new("docs/configuration.md"));
    let mut cli_variables = BTreeSet::new();
    let mut undocumented = Vec::new();
    let mut flags = 0;
    for (path, command) in commands() {
        for arg in command.get_arguments() {
            if matches!(arg.get_id().as_str(), "help" | "version") {
                continue;
            }
            if let Some(long) = arg.get_long() {
                flags += 1;
                if !mentions(&doc, &format!("--{long}")) {
                    undocumented.push(format!("`{path}` flag --{long}"));
                }
            }
            if let Some(env) = arg.get_env() {
                let env = env.to_str().expect("a UTF-8 variable name").to_string();
                if !mentions(&doc, &env) {
                    undocumented.push(format!("`{path}` variable {env}"));
                }
                cli_variables.insert(env);
            }
        }
    }
    assert!(
        flags > 40,
        "only {flags} flags found: is the command walk broken?"
    );
    assert!(
        undocumented.is_empty(),
        "not in docs/configuration.md:\n{}",
        undocumented.join("\n")
    );

    let unknown: Vec<_> = variables_named(&doc)
        .into_iter()
        .filter(|name| !cli_variables.contains(name))
        .collect();
    assert!(
        unknown.is_empty(),
        "docs/configuration.md names variables the command line does not read: {unknown:?}"
    );
}

#[test]
fn every_variable_the_docs_name_exists() {
    let cli_variables: BTreeSet<String> = commands()
        .iter()
        .flat_map(|(_, command)| command.get_arguments())
        .filter_map(|arg| arg.get_env())
        .map(|env| env.to_str().expect("a UTF-8 variable name").to_string())
        .collect();
    // The test suite's own variables (the PostgreSQL harness) are read in tests/api/helpers/.
    let helpers: String = fs::read_dir(root().join("tests/api/helpers"))
        .expect("tests/api/helpers")
        .map(|entry| fs::read_to_string(entry.expect("an entry").path()).unwrap_or_default())
        .collect();
    let mut unknown = Vec::new();
    for doc in doc_files() {
        for name in variables_named(&read(&doc)) {
            if !cli_variables.contains(&name) && !mentions(&helpers, &name) {
                unknown.push(format!("{}: {name}", doc.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "variables named in the docs that nothing reads:\n{}",
        unknown.join("\n")
    );
}

#[test]
fn the_readme_stays_a_front_door() {
    let readme = read(Path::new("README.md"));
    let lines = readme.lines().count();
    assert!(
        lines <= 200,
        "README.md has {lines} lines; move detail into docs/"
    );
    for command in [
        "cargo run --release -- serve --demo",
        "cargo test --workspace",
    ] {
        assert!(readme.contains(command), "README.md lost `{command}`");
    }
}

#[test]
fn anchors_follow_github_rules() {
    let anchors = heading_anchors(
        "# Where is X\n## Ingestion, attribution and the change feed\n## `GET /r/{code}` and more\n\
         ## Where is X\n```\n# not a heading\n```\n",
    );
    let expected: BTreeSet<String> = [
        "where-is-x",
        "ingestion-attribution-and-the-change-feed",
        "get-rcode-and-more",
        "where-is-x-1",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(anchors, expected);
}
