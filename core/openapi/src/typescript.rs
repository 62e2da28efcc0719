//! TypeScript declarations of the npm package's wire types, from the same schemas as the
//! OpenAPI document: the generated part of `core/src/wasm_types.d.ts` (between its
//! `BEGIN generated` and `END generated` lines; the rest is written by hand: types of the
//! wallet functions and of the JS error, which are not on the HTTP wire).
//!
//! The translation covers what the wire types use: `$ref`, string enums, string formats,
//! nullable types, objects, arrays and maps keyed by an enum.

use serde_json::{Map, Value};

/// The declarations the npm package exports, in order: (TypeScript name, schema name in the
/// document's components).
pub const DECLARATIONS: &[(&str, &str)] = &[
    ("Currency", "Crypto"),
    ("FiatCurrency", "Fiat"),
    ("Network", "Network"),
    ("DecimalString", "DecimalString"),
    ("Timestamp", "Timestamp"),
    ("AmountCurrency", "AmountCurrency"),
    ("AddressKind", "AddressKind"),
    ("Scheme", "Scheme"),
    ("OrderStatus", "OrderStatus"),
    ("QuoteRequest", "QuoteRequest"),
    ("RateEntry", "RateEntry"),
    ("RatesResponse", "RatesResponse"),
    ("FiatSettings", "FiatSettings"),
    ("CryptoSettings", "CryptoSettings"),
    ("XpubSettings", "XpubSettings"),
    ("ClientConfig", "ClientConfigInput"),
    ("ServiceFee", "ServiceFee"),
    ("SpreadFee", "SpreadFee"),
    ("NetworkFee", "NetworkFee"),
    ("Fees", "Fees"),
    ("QuoteBreakdown", "QuoteBreakdown"),
    ("Side", "Side"),
    ("SellStatus", "SellStatus"),
    ("SellQuoteRequest", "SellQuoteRequest"),
];

pub const BEGIN: &str =
    "// BEGIN generated from the core's JSON Schemas by core/openapi (do not edit; \
                         UPDATE_OPENAPI=1 cargo test -p cryptoexchange-openapi rewrites it)";
pub const END: &str = "// END generated";

/// The TypeScript name of a schema: the npm package's name when it has one.
fn ts_name(schema_name: &str) -> String {
    DECLARATIONS
        .iter()
        .find(|(_, s)| *s == schema_name)
        .map_or(schema_name, |(ts, _)| ts)
        .to_owned()
}

fn literal(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The TypeScript type of `schema`.
pub fn type_of(schema: &Value) -> Result<String, String> {
    type_at(schema, 0)
}

/// The TypeScript type of `schema`, nested `indent` levels deep.
fn type_at(schema: &Value, indent: usize) -> Result<String, String> {
    let Some(map) = schema.as_object() else {
        return Ok(if schema == &Value::Bool(false) {
            "never"
        } else {
            "unknown"
        }
        .into());
    };
    if let Some(Value::String(target)) = map.get("$ref") {
        let name = target
            .strip_prefix("#/components/schemas/")
            .ok_or_else(|| format!("unexpected $ref {target}"))?;
        return Ok(ts_name(name));
    }
    if let Some(value) = map.get("const") {
        return Ok(literal(value));
    }
    if let Some(Value::Array(values)) = map.get("enum") {
        return Ok(values.iter().map(literal).collect::<Vec<_>>().join(" | "));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(options)) = map.get(key) {
            let types = options
                .iter()
                .map(|o| type_at(o, indent))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(types.join(" | "));
        }
    }
    let types: Vec<&str> = match map.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return Err(format!("no type in {schema}")),
    };
    let mut out = Vec::new();
    for t in types {
        out.push(match t {
            "string" => "string".to_owned(),
            "integer" | "number" => "number".to_owned(),
            "boolean" => "boolean".to_owned(),
            "null" => "null".to_owned(),
            "array" => {
                let item = type_at(map.get("items").unwrap_or(&Value::Bool(true)), indent)?;
                if item.contains(' ') {
                    format!("({item})[]")
                } else {
                    format!("{item}[]")
                }
            }
            "object" => object_type(map, indent)?,
            other => return Err(format!("unsupported type {other}")),
        });
    }
    Ok(out.join(" | "))
}

fn object_type(map: &Map<String, Value>, indent: usize) -> Result<String, String> {
    if let Some(properties) = map.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = map
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let pad = "  ".repeat(indent + 1);
        let mut body = String::from("{\n");
        for (name, schema) in properties {
            if let Some(doc) = schema.get("description").and_then(Value::as_str) {
                body.push_str(&format!("{pad}/** {} */\n", doc.replace('\n', " ")));
            }
            let optional = if required.contains(&name.as_str()) {
                ""
            } else {
                "?"
            };
            let ty = type_at(schema, indent + 1)?;
            body.push_str(&format!("{pad}{name}{optional}: {ty};\n"));
        }
        body.push_str(&"  ".repeat(indent));
        body.push('}');
        return Ok(body);
    }
    if let Some(values) = map.get("additionalProperties") {
        let value = type_at(values, indent)?;
        return Ok(match map.get("propertyNames") {
            Some(keys) => format!("Partial<Record<{}, {value}>>", type_of(keys)?),
            None => format!("Record<string, {value}>"),
        });
    }
    Ok("Record<string, unknown>".into())
}

/// The generated declarations, between [`BEGIN`] and [`END`].
pub fn declarations(schemas: &Map<String, Value>) -> Result<String, String> {
    let mut out = format!("{BEGIN}\n");
    for (ts, name) in DECLARATIONS {
        let schema = schemas
            .get(*name)
            .ok_or_else(|| format!("no schema {name} in the document"))?;
        if let Some(doc) = schema.get("description").and_then(Value::as_str) {
            out.push_str(&format!("/** {} */\n", doc.replace('\n', " ")));
        }
        let is_interface = schema.get("properties").is_some();
        if is_interface {
            let map = schema.as_object().ok_or("schema is not an object")?;
            out.push_str(&format!("export interface {ts} {}\n", object_type(map, 0)?));
        } else {
            out.push_str(&format!("export type {ts} = {};\n", type_of(schema)?));
        }
    }
    out.push_str(END);
    Ok(out)
}

/// `text` with its generated part replaced by `generated`.
pub fn replace_generated(text: &str, generated: &str) -> Result<String, String> {
    let start = text
        .find(BEGIN)
        .ok_or("no BEGIN generated line in wasm_types.d.ts")?;
    let end = text[start..]
        .find(END)
        .map(|i| start + i + END.len())
        .ok_or("no END generated line in wasm_types.d.ts")?;
    Ok(format!("{}{generated}{}", &text[..start], &text[end..]))
}
