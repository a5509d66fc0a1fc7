//! The web pages over plain HTTP (no browser): sessions, CSRF, the login throttle, set-password
//! links, the authenticator at login, and that a page shows nothing of another user.
use crate::support::{Backend, TestApp};
use payplane_app::pazemo::auth::Mode;
use payplane_app::pazemo::logins;
use std::collections::HashMap;

/// A cookie-keeping client that follows no redirect, as a browser would post forms.
pub(crate) struct Client<'a> {
    t: &'a TestApp,
    pub(crate) http: reqwest::Client,
    pub(crate) cookies: HashMap<String, String>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    /// The CSRF token of the page's forms.
    pub(crate) fn csrf(&self) -> String {
        let at = self
            .body
            .find(r#"name="csrf" value=""#)
            .unwrap_or_else(|| panic!("no form on the page: {}", self.body));
        let rest = &self.body[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
    pub(crate) fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

impl<'a> Client<'a> {
    pub(crate) fn new(t: &'a TestApp) -> Self {
        Client {
            t,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    pub(crate) async fn send(&mut self, rb: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = rb.header("cookie", cookie).send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for c in headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let body = res.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let rb = self.http.get(format!("{}{path}", self.t.base));
        self.send(rb).await
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let rb = self.http.post(format!("{}{path}", self.t.base));
        self.send(with_form(rb, form)).await
    }

    /// Posts a form of the page at `page` (taking its CSRF token) with `fields`.
    pub(crate) async fn submit(
        &mut self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Page {
        let csrf = self.get(page).await.csrf();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }

    async fn login(&mut self, email: &str, password: &str, code: &str) -> Page {
        self.submit(
            "/dashboard/login",
            "/dashboard/login",
            &[("email", email), ("password", password), ("code", code)],
        )
        .await
    }
}

const PASSWORD: &str = "correct horse battery";

/// A urlencoded form body, as a browser sends it.
fn with_form(rb: reqwest::RequestBuilder, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    rb.header("content-type", "application/x-www-form-urlencoded")
        .body(body)
}

/// A dashboard user with a password: (id, email).
async fn user(t: &TestApp, email: &str, admin: bool) -> (String, String) {
    let u = payplane_app::pazemo::users::create_user(&t.app, email, "Web User", admin)
        .await
        .unwrap();
    logins::operator_set_password(&t.app, "test", "test", &u.id, PASSWORD)
        .await
        .unwrap();
    (u.id, u.email)
}

crate::dual!(
    pages_carry_their_policy_and_assets_are_embedded,
    |b: Backend| async move {
        let t = TestApp::start(b).await;
        let mut c = Client::new(&t);
        let p = c.get("/").await;
        assert_eq!(p.status, 200);
        assert!(
            p.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = p.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert_eq!(p.headers["x-frame-options"], "DENY");
        assert!(p.body.contains(r#"href="/dashboard""#) && p.body.contains(r#"href="/docs/""#));
        // The first page gives the browser its CSRF seed: HttpOnly, SameSite=Strict.
        let seed = p
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("pp_csrf="))
            .unwrap();
        assert!(
            seed.contains("HttpOnly") && seed.contains("SameSite=Strict"),
            "{seed}"
        );
        let css = c.get("/assets/web.css").await;
        assert_eq!(css.status, 200);
        assert!(
            css.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/css")
        );
        assert!(css.body.contains("--accent"));
        assert_eq!(c.get("/assets/nope.css").await.status, 404);
        // The API's answers keep their own: JSON errors, the policy that loads nothing.
        let api = c.get("/users/me").await;
        assert_eq!(api.status, 401);
        assert_eq!(
            api.headers["content-security-policy"],
            payplane_http::middleware::API_CSP
        );
    }
);

crate::dual!(
    forms_need_the_csrf_token_of_their_browser,
    |b: Backend| async move {
        let t = TestApp::start(b).await;
        let (_, email) = user(&t, "csrf@example.com", false).await;
        let mut c = Client::new(&t);
        let page = c.get("/dashboard/login").await;
        let creds = [("email", email.as_str()), ("password", PASSWORD)];
        // No token, a made-up token, another browser's token: refused before anything is checked.
        assert_eq!(c.post("/dashboard/login", &creds).await.status, 403);
        let mut forged = vec![("csrf", "0".repeat(64))];
        forged.extend(creds.iter().map(|(k, v)| (*k, v.to_string())));
        let forged: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(c.post("/dashboard/login", &forged).await.status, 403);
        let mut other = Client::new(&t);
        let theirs = other.get("/dashboard/login").await.csrf();
        assert_ne!(theirs, page.csrf());
        let mut with_theirs = vec![("csrf", theirs.as_str())];
        with_theirs.extend_from_slice(&creds);
        assert_eq!(c.post("/dashboard/login", &with_theirs).await.status, 403);
        // A form posted from another site (its Origin) is refused even with the right token.
        let mine = page.csrf();
        let mut form = vec![("csrf", mine.as_str())];
        form.extend_from_slice(&creds);
        let rb = c
            .http
            .post(format!("{}/dashboard/login", t.base))
            .header("origin", "https://evil.example");
        let rb = with_form(rb, &form);
        assert_eq!(c.send(rb).await.status, 403);
        // The page's own token works, and logging in replaces the seed.
        let before = c.cookies["pp_csrf"].clone();
        let ok = c.post("/dashboard/login", &form).await;
        assert_eq!(ok.status, 303, "{}", ok.body);
        assert_eq!(ok.location(), "/dashboard");
        assert_ne!(c.cookies["pp_csrf"], before);
        let session = ok
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("pp_session="))
            .unwrap();
        assert!(
            session.contains("HttpOnly")
                && session.contains("SameSite=Lax")
                && session.contains("Max-Age=43200"),
            "{session}"
        );
        // Forms of the session need the new token.
        assert_eq!(
            c.post(
                "/dashboard/accounts",
                &[("csrf", mine.as_str()), ("currency", "IDR")]
            )
            .await
            .status,
            403
        );
        let opened = c
            .submit(
                "/dashboard/accounts",
                "/dashboard/accounts",
                &[("currency", "IDR")],
            )
            .await;
        assert_eq!(opened.status, 303, "{}", opened.body);
    }
);

crate::dual!(
    logins_are_throttled_per_email_and_address,
    |b: Backend| async move {
        let t = TestApp::start(b).await;
        let (_, email) = user(&t, "slow@example.com", false).await;
        let mut c = Client::new(&t);
        for _ in 0..5 {
            let p = c.login(&email, "wrong password", "").await;
            assert_eq!(p.status, 401);
            assert!(p.body.contains("Invalid email or password"));
        }
        // Past the limit even the right password is refused, without being checked.
        let p = c.login(&email, PASSWORD, "").await;
        assert_eq!(p.status, 429, "{}", p.body);
        assert!(
            p.body
                .contains("Too many failed logins; try again in 900 s")
        );
        assert_eq!(p.headers["retry-after"], "900");
        // Once the window has passed, it is checked again.
        t.clock.advance_secs(t.app.config.web.login_window_secs + 1);
        assert_eq!(c.login(&email, PASSWORD, "").await.status, 303);
    }
);

crate::dual!(
    a_set_password_link_works_once_and_ends_sessions,
    |b: Backend| async move {
        let t = TestApp::start(b).await;
        let (id, email) = user(&t, "link@example.com", false).await;
        let mut c = Client::new(&t);
        assert_eq!(c.login(&email, PASSWORD, "").await.status, 303);
        assert_eq!(c.get("/dashboard/accounts").await.status, 200);
        let link = logins::issue_password_link(&t.app, &id).await.unwrap();
        let path = &link.url[link.url.find("/dashboard/").unwrap()..];
        let token = link.token.clone();
        let mut other = Client::new(&t);
        let form = other.get(path).await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains("link@example.com"));
        let short = other
            .submit(
                path,
                "/dashboard/set-password",
                &[
                    ("token", &token),
                    ("password", "short"),
                    ("confirm", "short"),
                ],
            )
            .await;
        assert_eq!(short.status, 400);
        assert!(short.body.contains("10 to 256 characters"));
        let new = "a brand new password";
        let set = other
            .submit(
                path,
                "/dashboard/set-password",
                &[("token", &token), ("password", new), ("confirm", new)],
            )
            .await;
        assert_eq!(set.status, 303, "{}", set.body);
        // Used: the link is gone, the session that held the old password is over.
        assert_eq!(other.get(path).await.status, 410);
        let p = c.get("/dashboard/accounts").await;
        assert_eq!(p.status, 303);
        assert!(p.location().starts_with("/dashboard/login?next="));
        assert_eq!(c.login(&email, PASSWORD, "").await.status, 401);
        assert_eq!(c.login(&email, new, "").await.status, 303);
        // A link past its lifetime is refused.
        let late = logins::issue_password_link(&t.app, &id).await.unwrap();
        t.clock
            .advance_secs(t.app.config.web.password_link_hours * 3600 + 1);
        let late_path = &late.url[late.url.find("/dashboard/").unwrap()..];
        assert_eq!(other.get(late_path).await.status, 410);
    }
);

crate::dual!(
    an_enrolled_authenticator_guards_the_login,
    |b: Backend| async move {
        let t = TestApp::start(b).await;
        let (id, email) = user(&t, "totp@example.com", false).await;
        // Enrol through the API with a live token, as the dashboard does.
        let (_, token) = payplane_app::pazemo::users::create_token(
            &t.app,
            &id,
            payplane_app::pazemo::users::NewToken {
                mode: Mode::Live,
                read_only: false,
                allow_ips: vec![],
                label: String::new(),
            },
        )
        .await
        .unwrap();
        let u = crate::support::TestUser {
            id: id.clone(),
            token,
        };
        let (s, body) = t
            .pazemo(&u)
            .post("/users/me/2fa", &serde_json::json!({}))
            .await;
        assert_eq!(s, 200, "{body}");
        let secret = body["secret"].as_str().unwrap().to_string();
        let now = (t.app.now() / 1_000_000) as u64;
        let code = |at: u64| payplane_app::pazemo::twofa::code_at(&secret, at).unwrap();
        let (s, _) = t
            .pazemo(&u)
            .post(
                "/users/me/2fa/confirm",
                &serde_json::json!({"code": code(now - 30)}),
            )
            .await;
        assert_eq!(s, 200);
        let mut c = Client::new(&t);
        let p = c.login(&email, PASSWORD, "").await;
        assert_eq!(p.status, 400);
        assert!(p.body.contains("enter its current code"));
        assert_eq!(c.login(&email, PASSWORD, "123456").await.status, 400);
        assert_eq!(c.login(&email, PASSWORD, &code(now)).await.status, 303);
        // The same code twice is a replay.
        let mut again = Client::new(&t);
        let p = again.login(&email, PASSWORD, &code(now)).await;
        assert!(p.body.contains("already used"), "{}", p.body);
    }
);

crate::dual!(
    pages_show_nothing_of_another_user,
    |b: Backend| async move {
        let t = TestApp::builder(b).worker().start().await;
        let (_, alice) = user(&t, "alice@example.com", false).await;
        let (_, bob) = user(&t, "bob@example.com", false).await;
        let mut a = Client::new(&t);
        assert_eq!(a.login(&alice, PASSWORD, "").await.status, 303);
        let opened = a
            .submit(
                "/dashboard/accounts",
                "/dashboard/accounts",
                &[("currency", "IDR")],
            )
            .await;
        let account = opened.location().rsplit('/').next().unwrap().to_string();
        let page = format!("/dashboard/accounts/{account}");
        let dep = a
            .submit(&page, &format!("{page}/deposit"), &[("amount", "500000")])
            .await;
        assert_eq!(dep.status, 303, "{}", dep.body);
        let added = a
            .submit(
                "/dashboard/recipients",
                "/dashboard/recipients",
                &[
                    ("account", &account),
                    ("bank", "bca"),
                    ("address", "1234567890"),
                    ("name", "Rina"),
                ],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.body);
        t.run_jobs().await;
        let recipients = a.get("/dashboard/recipients").await.body;
        let rid = recipients
            .split("/dashboard/recipients/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap()
            .to_string();
        // The background worker may hold the inquiry that `run_jobs` did not find: wait for it.
        for _ in 0..200 {
            let s = a.get(&format!("/dashboard/recipients/{rid}/status")).await;
            if s.body.contains("\"final\":true") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let w = a
            .submit(
                "/dashboard/withdraw",
                "/dashboard/withdraw",
                &[
                    ("account", &account),
                    ("recipient", &rid),
                    ("amount", "1000"),
                ],
            )
            .await;
        assert_eq!(w.status, 303, "{}", w.body);
        let withdrawal = w.location().to_string();
        assert_eq!(a.get(&withdrawal).await.status, 200);

        let mut b = Client::new(&t);
        assert_eq!(b.login(&bob, PASSWORD, "").await.status, 303);
        for path in [
            page.clone(),
            format!("/dashboard/recipients/{rid}/status"),
            withdrawal.clone(),
            format!("{withdrawal}/status"),
        ] {
            let p = b.get(&path).await;
            assert_eq!(p.status, 404, "{path}: {}", p.body);
            assert!(!p.body.contains("500,000.00") && !p.body.contains("Rina"));
        }
        let list = b.get("/dashboard/accounts").await;
        assert!(!list.body.contains(&account));
        assert!(!b.get("/dashboard/recipients").await.body.contains("Rina"));
        // Acting on Alice's things is refused the same way.
        let p = b
            .submit(
                "/dashboard/accounts",
                &format!("{page}/deposit"),
                &[("amount", "1")],
            )
            .await;
        assert_eq!(p.status, 404);
        let p = b
            .submit(
                "/dashboard/accounts",
                &format!("{withdrawal}/confirm"),
                &[("code", "000000")],
            )
            .await;
        assert_eq!(p.status, 404);
        // And Alice's test-mode money is not in her live mode either.
        let p = a
            .submit(
                "/dashboard/accounts",
                "/dashboard/mode",
                &[("mode", "live"), ("back", "/dashboard/accounts")],
            )
            .await;
        assert_eq!(p.status, 303);
        assert_eq!(a.get(&page).await.status, 404);
    }
);

crate::dual!(operator_pages_are_for_admins, |b: Backend| async move {
    let t = TestApp::start(b).await;
    let (_, user_email) = user(&t, "plain@example.com", false).await;
    let (_, admin_email) = user(&t, "root@example.com", true).await;
    let mut anonymous = Client::new(&t);
    let p = anonymous.get("/operator/queues").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location(), "/dashboard/login?next=%2Foperator%2Fqueues");
    let mut u = Client::new(&t);
    assert_eq!(u.login(&user_email, PASSWORD, "").await.status, 303);
    for path in ["/operator/queues", "/operator/ledger", "/operator/failed"] {
        assert_eq!(u.get(path).await.status, 403, "{path}");
    }
    let dash = u.get("/dashboard/accounts").await;
    assert!(!dash.body.contains(r#"href="/operator""#));
    let mut a = Client::new(&t);
    assert_eq!(a.login(&admin_email, PASSWORD, "").await.status, 303);
    assert_eq!(a.get("/operator/queues").await.status, 200);
    let ledger = a.get("/operator/ledger").await;
    assert!(ledger.body.contains("Every invariant holds"));
    assert!(
        a.get("/dashboard/accounts")
            .await
            .body
            .contains(r#"href="/operator""#)
    );
});

crate::dual!(a_new_token_is_shown_once, |b: Backend| async move {
    let t = TestApp::start(b).await;
    let (id, email) = user(&t, "tokens@example.com", false).await;
    let mut c = Client::new(&t);
    assert_eq!(c.login(&email, PASSWORD, "").await.status, 303);
    let p = c
        .submit(
            "/dashboard/tokens",
            "/dashboard/tokens",
            &[
                ("label", "ci"),
                ("mode", "test"),
                ("allowed_ips", "10.0.0.0/8, 192.168.1.1"),
            ],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert!(c.cookies.contains_key("pp_reveal"));
    assert!(
        !c.cookies["pp_reveal"].contains("pp_test_"),
        "sealed, not in clear"
    );
    let shown = c.get("/dashboard/tokens").await;
    let at = shown.body.find("pp_test_").expect("the secret is shown");
    let secret: String = shown.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    // It works against the API, within its allow-list…
    let list = payplane_app::pazemo::users::list_tokens(&t.app, &id, Mode::Test)
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].allow_ips, vec!["10.0.0.0/8", "192.168.1.1"]);
    assert!(secret.ends_with(&list[0].token_hint));
    // …and is gone from the page on the next view.
    assert!(!c.cookies.contains_key("pp_reveal"));
    assert!(!c.get("/dashboard/tokens").await.body.contains(&secret));
});
