//! Answers every operation of the admin API can give besides its own, added to the OpenAPI
//! document once all routes are in it: `400` when a path id, a query parameter or the body is
//! malformed, `401` and `429` on authenticated operations (the [`super::Admin`] extractor),
//! `413` past the body limit. Each is the API's JSON error body.
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};

fn error(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

fn complete(op: &mut Operation) {
    // `security(())` and `security()` mark the operations that need no sign-in.
    let public = op.security.is_some();
    let has_input =
        op.request_body.is_some() || op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let mut add = |code: &str, description: &str| {
        op.responses
            .responses
            .entry(code.to_owned())
            .or_insert_with(|| error(description).into());
    };
    if has_input {
        add(
            "400",
            "A path id, a query parameter or the body is malformed",
        );
    }
    if !public {
        add(
            "401",
            "Not signed in (no valid session cookie or personal token)",
        );
        add("429", "Too many requests from this user (see Retry-After)");
    }
    if op.request_body.is_some() {
        add("413", "The body is larger than max_body_mib");
    }
}

/// Adds the common answers to every operation of `doc`.
pub(super) fn add(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            complete(op);
        }
    }
}

#[cfg(test)]
mod tests {
    /// schemathesis found answers the document did not declare: 401 on every authenticated
    /// operation, 400 for a malformed path id or query parameter.
    #[test]
    fn every_operation_declares_the_common_answers() {
        let doc = super::super::openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let mut seen = 0;
        for (path, item) in json["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let has = |code: &str| op["responses"].get(code).is_some();
                let public = op.get("security").is_some();
                let input = op.get("requestBody").is_some()
                    || op["parameters"].as_array().is_some_and(|p| !p.is_empty());
                assert!(!input || has("400"), "{method} {path}: 400");
                assert!(
                    public || (has("401") && has("429")),
                    "{method} {path}: 401, 429"
                );
                assert!(
                    op.get("requestBody").is_none() || has("413"),
                    "{method} {path}: 413"
                );
                seen += 1;
            }
        }
        assert!(seen > 70, "{seen} operations");
        let clients = &json["paths"]["/api/v1/clients/{id}"]["delete"]["responses"];
        assert_eq!(
            clients["401"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
}
