//! The authorization matrix: every business-scoped route × {own, sub-business, parent,
//! unrelated business, disabled sub-business, unknown id}, called with a PSP's key that sits in
//! the middle of a hierarchy (it has a parent and children).
use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use reqwest::{Method, RequestBuilder};
use serde_json::json as j;

/// What a route is called on: a business and things it owns.
struct Target {
    case: &'static str,
    id: String,
    /// The target's parent ("" for a standalone business).
    parent: String,
    user_id: String,
    product: String,
    product2: String,
    model: String,
    postback: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Read,
    Write,
    /// Acts on the target as a sub-business of its parent (update sub-business): the caller's own
    /// business is not its own sub-business.
    SubWrite,
    /// Disable/enable a sub-business: allowed on a disabled one (that is how it is re-enabled).
    Toggle,
}

type Call = fn(&TestApp, &Biz, &Target) -> RequestBuilder;

fn routes() -> Vec<(&'static str, Kind, Call)> {
    vec![
        ("retrieve business", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/{}", x.id),
                k,
            )
        }),
        ("business status", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business-control/status/{}", x.id),
                k,
            )
        }),
        ("business details", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/business-details/{}", x.id),
                k,
            )
        }),
        ("update details", Kind::Write, |t, k, x| {
            api(t, Method::PUT, &format!("/api-key-auth/business/business-details/{}", x.id), k)
                .json(&j!({"businessName": "Changed", "businessType": 3, "countryID": "GR", "industry1": 1}))
        }),
        ("treasury wallet", Kind::Write, |t, k, x| {
            api(t, Method::POST, "/api-key-auth/treasury-wallet", k)
                .json(&j!({"businessID": x.id, "treasuryWallet": WALLET}))
        }),
        ("confirm treasury wallet", Kind::Write, |t, k, x| {
            api(t, Method::POST, "/api-key-auth/treasury-wallet/confirm", k)
                .json(&j!({"businessID": x.id, "userID": x.user_id}))
        }),
        ("product categories", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/product-categories/{}", x.id),
                k,
            )
        }),
        ("create product", Kind::Write, |t, k, x| {
            api(
                t,
                Method::POST,
                &format!("/api-key-auth/products/{}", x.id),
                k,
            )
            .json(&j!({"categoryID": 2, "productName": "Matrix"}))
        }),
        ("list products", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/products/all/{}/3?currency=USD", x.id),
                k,
            )
        }),
        ("single product", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/products/single/{}/{}/3", x.id, x.product),
                k,
            )
        }),
        ("update product", Kind::Write, |t, k, x| {
            api(
                t,
                Method::PUT,
                &format!("/api-key-auth/products/{}/{}", x.id, x.product),
                k,
            )
            .json(&j!({"productName": "Renamed", "byte64Image": "NO_IMAGE_CHANGE"}))
        }),
        ("hide product", Kind::Write, |t, k, x| {
            api(
                t,
                Method::PATCH,
                &format!("/api-key-auth/products/{}/{}/hide", x.id, x.product2),
                k,
            )
            .json(&j!({"enabled": false}))
        }),
        ("create payment model", Kind::Write, |t, k, x| {
            api(t, Method::POST, "/api-key-auth/pull-payment-models", k)
                .json(&model_body(3, &x.id, &x.product))
        }),
        ("list payment models", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!(
                    "/api-key-auth/pull-payment-models/all/{}/3/{}",
                    x.id, x.product
                ),
                k,
            )
        }),
        ("single payment model", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!(
                    "/api-key-auth/pull-payment-models/single/{}/3/{}",
                    x.id, x.model
                ),
                k,
            )
        }),
        (
            "single payment model (no api-key-auth)",
            Kind::Read,
            |t, k, x| {
                api(
                    t,
                    Method::GET,
                    &format!("/pull-payment-models/single/{}/3/{}", x.id, x.model),
                    k,
                )
            },
        ),
        ("create sub-business", Kind::Write, |t, k, x| {
            api(t, Method::POST, "/api-key-auth/register/sub/business", k).json(
                &j!({"company": "Child", "email": email(), "password": PASSWORD, "parentID": x.id}),
            )
        }),
        ("list pull payments", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/pull-payments/business/{}", x.id),
                k,
            )
        }),
        ("transaction report", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/transactions/report/all/{}/3", x.id),
                k,
            )
        }),
        ("list sub-businesses", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/sub/business/{}", x.id),
                k,
            )
        }),
        ("update sub-business", Kind::SubWrite, |t, k, x| {
            let mut body = j!({"businessID": x.id, "userID": x.user_id, "city": "Matrix"});
            if !x.parent.is_empty() {
                body["parentID"] = j!(x.parent);
            }
            api(
                t,
                Method::PUT,
                "/api-key-auth/business/business-details/sub/business",
                k,
            )
            .json(&body)
        }),
        (
            "update sub-business (code path)",
            Kind::SubWrite,
            |t, k, x| {
                let parent = if x.parent.is_empty() {
                    x.id.clone()
                } else {
                    x.parent.clone()
                };
                api(
                    t,
                    Method::PUT,
                    &format!("/api-key-auth/register/sub/business/{parent}"),
                    k,
                )
                .json(&j!({"businessID": x.id, "userID": x.user_id, "city": "Matrix"}))
            },
        ),
        ("disable sub-business", Kind::Toggle, |t, k, x| {
            // Keeps each target's state: the disabled one stays disabled, the others enabled.
            let mut body = j!({"businessID": x.id, "disabled": x.case == "disabled sub-business"});
            if !x.parent.is_empty() {
                body["parentID"] = j!(x.parent);
            }
            api(
                t,
                Method::POST,
                "/api-key-auth/business-control/sub/business/disabled",
                k,
            )
            .json(&body)
        }),
        ("create postback", Kind::Write, |t, k, x| {
            api(t, Method::POST, "/api-key-auth/business/postback", k)
                .json(&j!({"businessID": x.id, "url": "https://example.com/pb", "environment": "Ropsten"}))
        }),
        ("list postbacks", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/postback/{}", x.id),
                k,
            )
        }),
        ("get postback", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/postback/{}/{}", x.postback, x.id),
                k,
            )
        }),
        ("edit postback", Kind::Write, |t, k, x| {
            api(t, Method::PUT, "/api-key-auth/business/postback", k)
                .json(&j!({"id": x.postback, "businessID": x.id, "url": "https://example.com/edited", "environment": "Ropsten"}))
        }),
        ("product postback", Kind::Write, |t, k, x| {
            api(t, Method::PUT, "/api-key-auth/business/postback/product", k).json(
                &j!({"businessID": x.id, "productID": x.product, "businessPostbackID": x.postback}),
            )
        }),
        ("remove product postback", Kind::Write, |t, k, x| {
            api(
                t,
                Method::PUT,
                "/api-key-auth/business/postback/product/remove",
                k,
            )
            .json(
                &j!({"businessID": x.id, "productID": x.product, "businessPostbackID": x.postback}),
            )
        }),
        ("payment model postback", Kind::Write, |t, k, x| {
            api(t, Method::PUT, "/api-key-auth/business/postback/paymentmodel", k)
                .json(&j!({"businessID": x.id, "paymentModelID": x.model, "businessPostbackID": x.postback}))
        }),
        ("remove payment model postback", Kind::Write, |t, k, x| {
            api(t, Method::PUT, "/api-key-auth/business/postback/paymentmodel/remove", k)
                .json(&j!({"businessID": x.id, "paymentModelID": x.model, "businessPostbackID": x.postback}))
        }),
        ("business postback", Kind::Write, |t, k, x| {
            api(
                t,
                Method::PUT,
                "/api-key-auth/business/postback/business",
                k,
            )
            .json(&j!({"businessID": x.id, "businessPostbackID": x.postback}))
        }),
        ("remove business postback", Kind::Write, |t, k, x| {
            api(
                t,
                Method::PUT,
                "/api-key-auth/business/postback/business/remove",
                k,
            )
            .json(&j!({"businessID": x.id, "businessPostbackID": x.postback}))
        }),
        ("remove parent postback", Kind::Write, |t, k, x| {
            api(
                t,
                Method::PUT,
                "/api-key-auth/business/postback/parent/remove",
                k,
            )
            .json(&j!({"businessID": x.id, "businessPostbackID": x.postback}))
        }),
        ("postback control", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/postback-control/{}", x.id),
                k,
            )
        }),
        ("set postback control", Kind::Write, |t, k, x| {
            api(
                t,
                Method::PUT,
                "/api-key-auth/business/postback-control/",
                k,
            )
            .json(&j!({"businessID": x.id, "product": true}))
        }),
        (
            "set postback control (stray path)",
            Kind::Write,
            |t, k, x| {
                api(
                    t,
                    Method::PUT,
                    &format!("/api-key-auth/postback-control/{}", x.id),
                    k,
                )
                .json(&j!({"product": true}))
            },
        ),
        ("postback deliveries", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/postback-deliveries/{}", x.id),
                k,
            )
        }),
        ("send test postback", Kind::Write, |t, k, x| {
            api(
                t,
                Method::POST,
                &format!("/api-key-auth/business/postback/test/{}", x.id),
                k,
            )
            .json(&j!({"networkID": 3}))
        }),
        ("rotate postback secret", Kind::Write, |t, k, x| {
            api(
                t,
                Method::POST,
                &format!("/api-key-auth/business/postback-secret/{}/rotate", x.id),
                k,
            )
        }),
        ("fiat settlement balance", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/reports/fiat/total/{}/EUR?networkID=3", x.id),
                k,
            )
        }),
        ("fiat settlements", Kind::Read, |t, k, x| {
            api(t, Method::GET, &format!("/reports/fiat/all/{}", x.id), k)
        }),
        ("settlement accounts", Kind::Read, |t, k, x| {
            api(
                t,
                Method::GET,
                &format!("/api-key-auth/business/settlement-account/{}", x.id),
                k,
            )
        }),
        // Last of the postback routes: the target's postback is gone afterwards.
        ("delete postback", Kind::Write, |t, k, x| {
            api(
                t,
                Method::DELETE,
                &format!("/api-key-auth/business/postback/{}/{}", x.postback, x.id),
                k,
            )
        }),
        // Console routes last: generating the caller's own key replaces the key used above.
        ("retrieve api key", Kind::Read, |t, k, x| {
            t.get(&format!("/api/v2/console-auth/api-keys/{}", x.id))
                .header("x-access-token", &k.token)
        }),
        ("generate api key", Kind::Write, |t, k, x| {
            t.get(&format!("/api/v2/console-auth/api-keys/generate/{}", x.id))
                .header("x-access-token", &k.token)
        }),
    ]
}

/// Things a business owns, made with `maker`'s key: two products and a payment model.
async fn target(t: &TestApp, case: &'static str, maker: &Biz, b: &Biz, parent: &str) -> Target {
    let product = product(t, maker, &b.id).await;
    let product2 = crate::pumapay::support::product(t, maker, &b.id).await;
    let model = model(t, maker, &model_body(2, &b.id, &product)).await;
    let (s, res) = json(
        api(t, Method::POST, "/api-key-auth/business/postback", maker)
            .json(&j!({"businessID": b.id, "url": "https://example.com/pb", "environment": "Ropsten"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{res}");
    let postback = res["data"]["id"].as_str().unwrap().to_string();
    Target {
        case,
        id: b.id.clone(),
        parent: parent.to_string(),
        user_id: b.user_id.clone(),
        product,
        product2,
        model,
        postback,
    }
}

/// Rows a refused call must not have written.
async fn footprint(t: &TestApp, id: &str) -> (i64, i64, i64, i64, i64, i64) {
    let q = |sql: &'static str| {
        let id = id.to_string();
        async move {
            let (n,): (i64,) = payplane_store::sqlx::query_as(sql)
                .bind(id)
                .fetch_one(&t.app.db.read)
                .await
                .unwrap();
            n
        }
    };
    (
        q("SELECT COUNT(*) FROM products WHERE business_id = $1").await,
        q("SELECT COUNT(*) FROM payment_models WHERE business_id = $1").await,
        q("SELECT COUNT(*) FROM businesses WHERE parent_id = $1").await,
        q("SELECT updated_at FROM businesses WHERE id = $1").await,
        q("SELECT CAST(COALESCE(SUM(updated_at),0) AS BIGINT) FROM postbacks WHERE business_id = $1").await,
        q("SELECT COUNT(*) FROM postback_controls WHERE business_id = $1").await
            + q("SELECT COUNT(*) FROM postback_links WHERE business_id = $1").await,
    )
}

dual!(every_business_scoped_route_obeys_the_matrix, async |b| {
    let t = TestApp::start(b).await;
    let parent = business(&t).await;
    let me = sub_business(&t, &parent).await;
    let child = sub_business(&t, &me).await;
    let disabled = sub_business(&t, &me).await;
    let stranger = business(&t).await;
    let targets = vec![
        target(&t, "own", &me, &me, &parent.id).await,
        target(&t, "sub-business", &me, &child, &me.id).await,
        target(&t, "parent", &parent, &parent, "").await,
        target(&t, "unrelated", &stranger, &stranger, "").await,
        target(&t, "disabled sub-business", &me, &disabled, &me.id).await,
        Target {
            case: "unknown",
            id: payplane_core::ids::new_id(),
            parent: me.id.clone(),
            user_id: payplane_core::ids::new_id(),
            product: payplane_core::ids::new_id(),
            product2: payplane_core::ids::new_id(),
            model: payplane_core::ids::new_id(),
            postback: payplane_core::ids::new_id(),
        },
    ];
    let (s, body) = json(
        api(
            &t,
            Method::POST,
            "/api-key-auth/business-control/sub/business/disabled",
            &me,
        )
        .json(&j!({"parentID": me.id, "businessID": disabled.id, "disabled": true}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let before_parent = footprint(&t, &parent.id).await;
    let before_stranger = footprint(&t, &stranger.id).await;
    let before_disabled = footprint(&t, &disabled.id).await;
    for (route, kind, call) in routes() {
        for x in &targets {
            let (s, body) = json(call(&t, &me, x).send().await.unwrap()).await;
            let want: (u16, Option<&str>) = match (x.case, kind) {
                ("own", Kind::SubWrite | Kind::Toggle) => (403, Some("error.business.forbidden")),
                ("own" | "sub-business", _) => (200, None),
                ("disabled sub-business", Kind::Read | Kind::Toggle) => (200, None),
                ("disabled sub-business", Kind::Write | Kind::SubWrite) => {
                    (403, Some("error.business.disabled"))
                }
                _ => (403, Some("error.business.forbidden")),
            };
            assert_eq!(s, want.0, "{route} on {}: {body}", x.case);
            if let Some(code) = want.1 {
                assert_eq!(body["success"], false, "{route} on {}: {body}", x.case);
                assert_eq!(
                    body["errors"][0]["code"], code,
                    "{route} on {}: {body}",
                    x.case
                );
            } else {
                assert_eq!(body["success"], true, "{route} on {}: {body}", x.case);
            }
        }
    }
    assert_eq!(
        footprint(&t, &parent.id).await,
        before_parent,
        "parent untouched"
    );
    assert_eq!(
        footprint(&t, &stranger.id).await,
        before_stranger,
        "stranger untouched"
    );
    assert_eq!(
        footprint(&t, &disabled.id).await,
        before_disabled,
        "disabled sub-business untouched"
    );
});

dual!(a_disabled_business_key_and_its_subtree_get_403, async |b| {
    let t = TestApp::start(b).await;
    let psp = business(&t).await;
    let merchant = sub_business(&t, &psp).await;
    let grandchild = sub_business(&t, &merchant).await;
    let (s, body) = json(
        api(
            &t,
            Method::POST,
            "/api-key-auth/business-control/sub/business/disabled",
            &psp,
        )
        .json(&j!({"parentID": psp.id, "businessID": merchant.id, "disabled": true}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    let d = data(s, &body, "Successfully disabled the business.");
    assert_eq!(d["disabled"], true);
    assert_eq!(d["status"], "disabled");
    for who in [&merchant, &grandchild] {
        let (s, body) = json(
            api(
                &t,
                Method::GET,
                &format!("/api-key-auth/business/{}", who.id),
                who,
            )
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_error(s, &body, 403, "error.business.disabled");
        assert!(body["message"].as_str().unwrap().contains("disabled"));
    }
    // Logging in to the console is refused too.
    let (s, body) = json(
        t.post("/api/v2/console-auth/login")
            .json(&j!({"email": merchant.email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(s, &body, 403, "error.business.disabled");
    // The PSP can still read it, and re-enable it.
    let (s, _) = json(
        api(
            &t,
            Method::GET,
            &format!("/api-key-auth/business/{}", merchant.id),
            &psp,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let (s, body) = json(
        api(
            &t,
            Method::POST,
            "/api-key-auth/business-control/sub/business/disabled",
            &psp,
        )
        .json(&j!({"parentID": psp.id, "businessID": merchant.id, "disabled": false}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    data(s, &body, "Successfully enabled the business.");
    let (s, _) = json(
        api(
            &t,
            Method::GET,
            &format!("/api-key-auth/business/{}", merchant.id),
            &merchant,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
});
