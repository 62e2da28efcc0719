//! The wire types of the npm package's `.d.ts` are generated from the same schemas as the
//! OpenAPI document: a change to a wire type not reflected in `core/src/wasm_types.d.ts`
//! fails here. `UPDATE_OPENAPI=1 cargo test -p cryptoexchange-openapi` rewrites its
//! generated part.

use cryptoexchange_openapi::typescript::{declarations, replace_generated};
use cryptoexchange_openapi::{declarations_path, document};

#[test]
fn npm_declarations_are_generated_from_the_wire_types() {
    let document = document().expect("the document generates");
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("components.schemas");
    let generated = declarations(schemas).expect("every declared type translates");
    let path = declarations_path();
    let committed = std::fs::read_to_string(&path).expect("core/src/wasm_types.d.ts");
    let expected = replace_generated(&committed, &generated).expect("generated markers");
    if std::env::var_os("UPDATE_OPENAPI").is_some_and(|v| v == "1") {
        std::fs::write(&path, &expected).expect("wasm_types.d.ts is writable");
        return;
    }
    assert!(
        committed == expected,
        "core/src/wasm_types.d.ts differs from the declarations the wire types generate; run \
         `UPDATE_OPENAPI=1 cargo test -p cryptoexchange-openapi` and commit the result"
    );
}
