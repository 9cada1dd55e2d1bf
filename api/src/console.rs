//! The web console: the single-page app built from `console/` into `console/dist`, embedded in
//! the binary and served under `/console/`. It uses only the public `/v1` API, from the same
//! origin, so its Content-Security-Policy allows nothing but this origin (no inline script or
//! style, no frames).

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use schema::ErrorCode;

use crate::error::ApiError;

#[derive(rust_embed::Embed)]
#[folder = "../console/dist"]
struct Assets;

/// Where the console is served.
pub const PATH: &str = "/console";

const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `/console` → `/console/`; every path below it: the file, or the app (index.html) for a
/// route of the app (a path whose last segment has no extension).
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            PATH,
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header((header::LOCATION, "/console/"))
                    .finish()
            }),
        )
        .service(
            web::resource(format!("{PATH}/{{path:.*}}"))
                .route(web::get().to(serve))
                .route(web::head().to(serve))
                .default_service(web::to(|| {
                    crate::routes::method_not_allowed(&["get", "head"])
                }))
                .wrap(actix_web::middleware::Compress::default()),
        );
}

async fn serve(request: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let is_route = !path.rsplit('/').next().unwrap_or("").contains('.');
    let (name, file) = match Assets::get(&path) {
        Some(file) => (path.as_str(), file),
        None if is_route => match Assets::get("index.html") {
            Some(file) => ("index.html", file),
            None => return Ok(not_built()),
        },
        None => {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "No such file in the console",
            ))
        }
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    // Hashed asset names never change content: cache them for a year. The app's HTML (and
    // anything unhashed) is revalidated on each load, so a new build shows at once.
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    let response = secured(&mut response)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag));
    if fresh {
        return Ok(response.finish());
    }
    Ok(response
        .insert_header((header::CONTENT_TYPE, file.metadata.mimetype()))
        .body(file.data.into_owned()))
}

/// The headers every console answer carries.
fn secured(response: &mut actix_web::HttpResponseBuilder) -> &mut actix_web::HttpResponseBuilder {
    response
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header(("Cross-Origin-Opener-Policy", "same-origin"))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"))
        .insert_header((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
}

/// A binary built without `console/dist` (never the case in this repository, where dist/ is
/// committed; `console/build` makes it).
fn not_built() -> HttpResponse {
    secured(&mut HttpResponse::ServiceUnavailable())
        .content_type("text/plain; charset=utf-8")
        .body("The console was not built into this binary: run console/build, then rebuild.\n")
}
