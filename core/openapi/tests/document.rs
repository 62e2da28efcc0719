//! The committed `edge-worker/openapi.json` is exactly what the wire types generate: a
//! change to a wire type, an operation or an example that is not reflected in the document
//! fails here. `UPDATE_OPENAPI=1 cargo test -p cryptoexchange-openapi` rewrites the file.

use cryptoexchange_openapi::{document_path, document_text};

#[test]
fn committed_document_is_generated_from_the_wire_types() {
    let generated = document_text().expect("the document generates");
    let path = document_path();
    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("edge-worker/openapi.json is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or(
                committed.lines().count().min(generated.lines().count()),
                |i| i,
            );
        panic!(
            "edge-worker/openapi.json differs from the document the wire types generate \
             (first difference at line {}); run `UPDATE_OPENAPI=1 cargo test -p \
             cryptoexchange-openapi` and commit the result",
            line + 1
        );
    }
}
