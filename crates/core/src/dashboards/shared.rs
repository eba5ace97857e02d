//! What a share link lets an anonymous reader see: whether the link may be used now (revoked,
//! expired, shared with nobody), which origins may embed it, and the URL filter it accepts (none,
//! plain JSON, or a JWT signed with HS256 by the link's secret, claims `{"filter", "exp"}`).
use super::model::{ShareLink, UrlFilter, Visibility};
use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Claims of a signed URL filter.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub filter: Json,
    /// Expiry, Unix seconds.
    pub exp: u64,
}

/// A new link secret: 256 random bits as 64 hex characters. HS256 keys are the secret's text.
pub fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut b);
    hex::encode(b)
}

/// Signs claims with a link's secret (what an embedding site does on its server).
pub fn sign(secret: &[u8], claims: &Claims) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("HS256 signing does not fail")
}

/// Whether the link may be used at `now_us`: `403` naming why not.
pub fn usable(link: &ShareLink, now_us: i64) -> Result<(), Error> {
    if link.revoked_us.is_some() {
        return Err(Error::Forbidden("this share link has been revoked".into()));
    }
    if link.expires_us.is_some_and(|e| e <= now_us) {
        return Err(Error::Forbidden("this share link has expired".into()));
    }
    if link.visibility == Visibility::Nobody {
        return Err(Error::Forbidden(
            "this share link is not shared with anyone".into(),
        ));
    }
    Ok(())
}

/// Whether a page of the link may be shown to a request whose `Referer` is `referer`: the link
/// is usable and, when shared with domains, the referer's origin is listed.
pub fn page_allowed(link: &ShareLink, referer: Option<&str>, now_us: i64) -> Result<(), Error> {
    usable(link, now_us)?;
    if link.visibility == Visibility::Domains {
        let origin = referer.and_then(origin_of);
        if !origin.is_some_and(|o| link.domains.contains(&o)) {
            return Err(Error::Forbidden(
                "this share link may only be embedded in the sites it lists".into(),
            ));
        }
    }
    Ok(())
}

/// The `frame-ancestors` sources of a link's pages.
pub fn frame_ancestors(link: &ShareLink) -> String {
    match link.visibility {
        Visibility::Domains => link.domains.join(" "),
        _ => "*".into(),
    }
}

/// The origin (`scheme://host[:port]`) of a URL, lowercased.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    origin_ok(&format!("{scheme}://{host}")).ok()
}

/// Validates an origin such as `https://lms.example.com` or `http://localhost:8080`.
pub fn origin_ok(s: &str) -> Result<String, String> {
    let lower = s.to_ascii_lowercase();
    let why = || format!("{s:?} is not an origin such as https://lms.example.com");
    let (scheme, host) = lower.split_once("://").ok_or_else(why)?;
    if scheme != "https" && scheme != "http" {
        return Err(why());
    }
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (host, None),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    if !name_ok || !port_ok {
        return Err(why());
    }
    Ok(lower)
}

/// The filter a request's URL adds through the link: `plain` takes `filter`, `signed` takes
/// `token` (required), `off` takes neither (`400`). A bad token is `401`, never data.
pub fn url_filter(
    link: &ShareLink,
    filter: Option<&Json>,
    token: Option<&str>,
    limits: &cairn_filter::Limits,
) -> Result<Option<Json>, Error> {
    match link.url_filter {
        UrlFilter::Off => {
            if filter.is_some() || token.is_some() {
                return Err(Error::BadRequest(
                    "this share link takes no filter in its URL".into(),
                ));
            }
            Ok(None)
        }
        UrlFilter::Plain => {
            if token.is_some() {
                return Err(Error::BadRequest(
                    "this share link takes a plain filter, not a token".into(),
                ));
            }
            if let Some(f) = filter {
                cairn_filter::Filter::parse_within(f, limits).map_err(|e| {
                    Error::BadRequest(format!("/filter{}: {}", e.pointer, e.message))
                })?;
            }
            Ok(filter.cloned())
        }
        UrlFilter::Signed => {
            if filter.is_some() {
                return Err(Error::BadRequest(
                    "this share link takes a signed token, not a plain filter".into(),
                ));
            }
            let token = token.ok_or_else(|| {
                Error::Unauthenticated("this share link needs a signed token".into())
            })?;
            let secret = link.secret.as_deref().unwrap_or_default();
            let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
            v.leeway = 0;
            v.set_required_spec_claims(&["exp"]);
            let data = jsonwebtoken::decode::<Claims>(
                token,
                &jsonwebtoken::DecodingKey::from_secret(secret),
                &v,
            )
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    Error::Unauthenticated("the token has expired".into())
                }
                _ => Error::Unauthenticated(format!("the token is not valid: {e}")),
            })?;
            cairn_filter::Filter::parse_within(&data.claims.filter, limits).map_err(|e| {
                Error::BadRequest(format!("token filter{}: {}", e.pointer, e.message))
            })?;
            Ok(Some(data.claims.filter))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_filter(
        link: &ShareLink,
        filter: Option<&Json>,
        token: Option<&str>,
    ) -> Result<Option<Json>, Error> {
        super::url_filter(link, filter, token, &cairn_filter::Limits::default())
    }
    use uuid::Uuid;

    fn link(url_filter: UrlFilter, secret: Option<&str>) -> ShareLink {
        ShareLink {
            id: Uuid::nil(),
            dashboard: Uuid::nil(),
            name: String::new(),
            visibility: Visibility::Domains,
            domains: vec!["https://lms.example.com".into()],
            expires_us: Some(1_000),
            url_filter,
            secret: secret.map(|s| s.as_bytes().to_vec()),
            revoked_us: None,
            created_us: 0,
            updated_us: 0,
        }
    }

    #[test]
    fn origins_are_validated_and_extracted() {
        assert_eq!(
            origin_ok("https://LMS.example.com").unwrap(),
            "https://lms.example.com"
        );
        assert!(origin_ok("http://localhost:8080").is_ok());
        for bad in [
            "lms.example.com",
            "ftp://x.org",
            "https://x.org/path",
            "https://",
            "https://a..b",
            "https://x.org:0",
        ] {
            assert!(origin_ok(bad).is_err(), "{bad}");
        }
        assert_eq!(
            origin_of("https://lms.example.com/course/1?x=2").as_deref(),
            Some("https://lms.example.com")
        );
    }

    #[test]
    fn pages_need_a_usable_link_and_a_listed_referer() {
        let l = link(UrlFilter::Off, None);
        assert!(page_allowed(&l, Some("https://lms.example.com/a"), 10).is_ok());
        assert!(matches!(
            page_allowed(&l, Some("https://evil.example.com/a"), 10),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            page_allowed(&l, None, 10),
            Err(Error::Forbidden(_))
        ));
        assert!(
            matches!(page_allowed(&l, Some("https://lms.example.com/a"), 1_000), Err(Error::Forbidden(m)) if m.contains("expired"))
        );
        let revoked = ShareLink {
            revoked_us: Some(5),
            ..l.clone()
        };
        assert!(matches!(usable(&revoked, 10), Err(Error::Forbidden(m)) if m.contains("revoked")));
        let nobody = ShareLink {
            visibility: Visibility::Nobody,
            ..l.clone()
        };
        assert!(matches!(usable(&nobody, 10), Err(Error::Forbidden(_))));
        assert_eq!(frame_ancestors(&l), "https://lms.example.com");
    }

    #[test]
    fn url_filters_follow_the_link_mode() {
        let f = serde_json::json!({"field": "verb", "eq": "http://v/x"});
        let off = link(UrlFilter::Off, None);
        assert!(url_filter(&off, None, None).unwrap().is_none());
        assert!(matches!(
            url_filter(&off, Some(&f), None),
            Err(Error::BadRequest(_))
        ));
        let plain = link(UrlFilter::Plain, None);
        assert_eq!(url_filter(&plain, Some(&f), None).unwrap(), Some(f.clone()));
        let bad = serde_json::json!({"field": "nope", "eq": 1});
        assert!(matches!(
            url_filter(&plain, Some(&bad), None),
            Err(Error::BadRequest(_))
        ));
        let secret = "s".repeat(64);
        let signed = link(UrlFilter::Signed, Some(&secret));
        let exp = (crate::time_fmt::now_us() / 1_000_000) as u64 + 600;
        let good = sign(
            secret.as_bytes(),
            &Claims {
                filter: f.clone(),
                exp,
            },
        );
        assert_eq!(
            url_filter(&signed, None, Some(&good)).unwrap(),
            Some(f.clone())
        );
        let other = sign(
            b"another secret",
            &Claims {
                filter: f.clone(),
                exp,
            },
        );
        assert!(matches!(
            url_filter(&signed, None, Some(&other)),
            Err(Error::Unauthenticated(_))
        ));
        let old = sign(
            secret.as_bytes(),
            &Claims {
                filter: f.clone(),
                exp: 1,
            },
        );
        assert!(
            matches!(url_filter(&signed, None, Some(&old)), Err(Error::Unauthenticated(m)) if m.contains("expired"))
        );
        let mut tampered = good.clone();
        tampered.insert(good.find('.').unwrap() + 3, 'x');
        assert!(matches!(
            url_filter(&signed, None, Some(&tampered)),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            url_filter(&signed, None, None),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            url_filter(&signed, Some(&f), None),
            Err(Error::BadRequest(_))
        ));
        assert_eq!(new_secret().len(), 64);
    }
}
