//! `schema.graphql` is generated: it must match the code, byte for byte.

use std::path::Path;
use std::process::Command;

fn checked_in() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    std::fs::read_to_string(&path).expect("schema.graphql is checked in")
}

#[test]
fn checked_in_schema_matches_the_code() {
    let generated = partnergraph::graphql::sdl();
    assert!(
        generated == checked_in(),
        "schema.graphql is stale: run `cargo run -- export-schema` and commit the result"
    );
}

#[test]
fn export_schema_command_reproduces_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("schema.graphql");
    let status = Command::new(env!("CARGO_BIN_EXE_partnergraph"))
        .arg("export-schema")
        .arg("--out")
        .arg(&out)
        .status()
        .expect("run partnergraph export-schema");
    assert!(status.success());
    let exported = std::fs::read(&out).expect("exported file");
    assert_eq!(exported, checked_in().into_bytes());
}

#[test]
fn schema_is_sorted() {
    let sdl = checked_in();
    let type_names: Vec<&str> = sdl
        .lines()
        .filter_map(|line| {
            [
                "type ",
                "input ",
                "enum ",
                "interface ",
                "scalar ",
                "union ",
            ]
            .iter()
            .find_map(|kw| line.strip_prefix(kw))
            .and_then(|rest| rest.split([' ', '{']).next())
        })
        .collect();
    let mut sorted = type_names.clone();
    sorted.sort_unstable();
    assert_eq!(type_names, sorted);
}
