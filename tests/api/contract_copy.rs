//! The vendored contract (`tests/contract/`) must equal `../shared/contract` where that exists.

use crate::helpers::contract;

#[test]
fn vendored_contract_matches_shared() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/contract");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        eprintln!("no ../shared/contract here: nothing to compare");
        return;
    };
    for entry in entries {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "graphql") {
            let name = path.file_name().expect("file name");
            let vendored = std::fs::read_to_string(contract::dir().join(name))
                .unwrap_or_else(|_| panic!("{name:?} missing from tests/contract"));
            let original = std::fs::read_to_string(&path).expect("read shared contract");
            assert_eq!(
                vendored, original,
                "tests/contract/{name:?} is stale: copy it again"
            );
        }
    }
}
