//! Postback URLs (seed 004): CRUD in the document's shapes and messages, links, control.
use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json as j};

pub fn private_ok(b: Backend) -> Builder {
    TestApp::builder(b).config(|c| c.webhooks.allow_private = true)
}

pub async fn call(
    t: &TestApp,
    m: Method,
    path: &str,
    who: &Biz,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = api(t, m, &format!("/api-key-auth{path}"), who);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    json(rb.send().await.unwrap()).await
}

/// Creates a postback of `business_id` and returns its `data`.
pub async fn create(t: &TestApp, who: &Biz, business_id: &str, url: &str, env: &str) -> Value {
    let (s, body) = call(
        t,
        Method::POST,
        "/business/postback",
        who,
        Some(j!({"businessID": business_id, "url": url,
            "authorization": {"pma-api-key": "Bearer merchant-token"}, "environment": env})),
    )
    .await;
    data(s, &body, "Successfully created postback url")
}

dual!(
    create_answers_the_documented_postback_and_a_secret_once,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let d = create(&t, &biz, &biz.id, "https://example.com/pb", "Ropsten").await;
        assert_eq!(d["businessID"], biz.id);
        assert_eq!(d["url"], "https://example.com/pb");
        assert_eq!(d["environment"], "Ropsten");
        assert_eq!(d["networkID"], 3);
        assert_eq!(d["valid"], "true");
        let auth: Value = serde_json::from_str(d["authorization"].as_str().unwrap()).unwrap();
        assert_eq!(auth, j!({"pma-api-key": "Bearer merchant-token"}));
        assert!(d["signingSecret"].as_str().unwrap().starts_with("whsec_"));
        // The second postback shares the secret and does not show it.
        let d2 = create(&t, &biz, &biz.id, "https://example.com/main", "Mainnet").await;
        assert_eq!(d2["networkID"], 1);
        assert!(d2.get("signingSecret").is_none(), "{d2}");
        let (s, body) = call(
            &t,
            Method::GET,
            &format!("/business/postback/{}", biz.id),
            &biz,
            None,
        )
        .await;
        let all = data(s, &body, "Successfully retrieved business postback");
        assert_eq!(all.as_array().unwrap().len(), 2);
        assert!(all[0].get("signingSecret").is_none());
        let id = d["id"].as_str().unwrap();
        let (s, body) = call(
            &t,
            Method::GET,
            &format!("/business/postback/{id}/{}", biz.id),
            &biz,
            None,
        )
        .await;
        let one = data(s, &body, "Successfully retrieved business postback");
        assert_eq!(one["id"], id);
        assert_eq!(one["parentBusinessPostbackID"], Value::Null);
    }
);

dual!(edit_and_delete_use_the_documented_messages, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let d = create(&t, &biz, &biz.id, "https://example.com/pb", "Ropsten").await;
    let id = d["id"].as_str().unwrap();
    let (s, body) = call(
        &t,
        Method::PUT,
        "/business/postback",
        &biz,
        Some(
            j!([{"id": id, "businessID": biz.id, "url": "https://example.com/new",
            "authorization": "pma-api-key: Bearer other", "environment": "Mainnet"}]),
        ),
    )
    .await;
    let u = data(s, &body, "Successfully updated postback url");
    assert_eq!(u["url"], "https://example.com/new");
    assert_eq!(u["environment"], "Mainnet");
    let auth: Value = serde_json::from_str(u["authorization"].as_str().unwrap()).unwrap();
    assert_eq!(auth, j!({"pma-api-key": "Bearer other"}));
    let (s, body) = call(
        &t,
        Method::DELETE,
        &format!("/business/postback/{id}/{}", biz.id),
        &biz,
        None,
    )
    .await;
    let del = data(s, &body, "Successfully deleted business postback.");
    assert_eq!(del, j!({"businessID": biz.id}));
    let (s, body) = call(
        &t,
        Method::GET,
        &format!("/business/postback/{id}/{}", biz.id),
        &biz,
        None,
    )
    .await;
    assert_error(s, &body, 404, "error.postback.not.found");
    let (s, body) = call(
        &t,
        Method::DELETE,
        &format!("/business/postback/{id}/{}", biz.id),
        &biz,
        None,
    )
    .await;
    assert_error(s, &body, 404, "error.postback.not.found");
});

dual!(invalid_bodies_answer_field_errors, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    for (url, code) in [
        ("ftp://example.com/x", "error.url.invalid"),
        ("file:///etc/passwd", "error.url.invalid"),
        ("https://user:pw@example.com/", "error.url.invalid"),
    ] {
        let (s, body) = call(
            &t,
            Method::POST,
            "/business/postback",
            &biz,
            Some(j!({"businessID": biz.id, "url": url, "environment": "Ropsten"})),
        )
        .await;
        assert_field(s, &body, "url", code);
    }
    let (s, body) = call(
        &t,
        Method::POST,
        "/business/postback",
        &biz,
        Some(j!({"businessID": biz.id, "url": "https://example.com", "environment": "Kovan"})),
    )
    .await;
    assert_field(s, &body, "environment", "error.environment.invalid");
    let (s, body) = call(
        &t,
        Method::POST,
        "/business/postback",
        &biz,
        Some(
            j!({"businessID": biz.id, "url": "https://example.com", "environment": "Ropsten",
            "authorization": {"webhook-signature": "forged"}}),
        ),
    )
    .await;
    assert_field(s, &body, "authorization", "error.authorization.reserved");
    let (s, body) = call(&t, Method::POST, "/business/postback", &biz, Some(j!({}))).await;
    assert_field(s, &body, "businessID", "error.field.required");
    assert_field(s, &body, "url", "error.field.required");
    assert_field(s, &body, "environment", "error.field.required");
});

dual!(
    another_business_cannot_read_or_change_a_postback,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let other = business(&t).await;
        let d = create(&t, &biz, &biz.id, "https://example.com/pb", "Ropsten").await;
        let id = d["id"].as_str().unwrap();
        let (s, body) = call(
            &t,
            Method::GET,
            &format!("/business/postback/{id}/{}", biz.id),
            &other,
            None,
        )
        .await;
        assert_error(s, &body, 403, "error.business.forbidden");
        // Its own business id with someone else's postback id: not found.
        let (s, body) = call(
            &t,
            Method::GET,
            &format!("/business/postback/{id}/{}", other.id),
            &other,
            None,
        )
        .await;
        assert_error(s, &body, 404, "error.postback.not.found");
        let (s, body) = call(&t, Method::PUT, "/business/postback", &other,
        Some(j!({"id": id, "businessID": other.id, "url": "https://evil.example.com", "environment": "Ropsten"}))).await;
        assert_error(s, &body, 404, "error.postback.not.found");
        let (s, body) = call(
            &t,
            Method::DELETE,
            &format!("/business/postback/{id}/{}", other.id),
            &other,
            None,
        )
        .await;
        assert_error(s, &body, 404, "error.postback.not.found");
        let (s, body) = call(
            &t,
            Method::POST,
            &format!("/business/postback-secret/{}/rotate", biz.id),
            &other,
            None,
        )
        .await;
        assert_error(s, &body, 403, "error.business.forbidden");
        let (s, body) = call(
            &t,
            Method::GET,
            &format!("/business/postback/{id}/{}", biz.id),
            &biz,
            None,
        )
        .await;
        assert_eq!(
            data(s, &body, "Successfully retrieved business postback")["url"],
            "https://example.com/pb"
        );
    }
);

dual!(
    product_model_and_business_links_answer_the_update_tuple,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pb = create(&t, &biz, &biz.id, "https://example.com/pb", "Ropsten").await;
        let pb = pb["id"].as_str().unwrap();
        let product = product(&t, &biz, &biz.id).await;
        let model = model(&t, &biz, &model_body(3, &biz.id, &product)).await;
        let body = j!({"businessID": biz.id, "productID": product, "businessPostbackID": pb});
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/product",
            &biz,
            Some(body.clone()),
        )
        .await;
        let d = data(s, &res, "Successfully updated business postback product");
        assert_eq!(d[0], 1);
        assert_eq!(d[1][0]["productID"], product);
        assert_eq!(d[1][0]["businessPostbackID"], pb);
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/product/remove",
            &biz,
            Some(body),
        )
        .await;
        let d = data(s, &res, "Successfully removed business postback product");
        assert_eq!(d[1][0]["businessPostbackID"], Value::Null);

        let body = j!({"businessID": biz.id, "paymentModelID": model, "businessPostbackID": pb});
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/paymentmodel",
            &biz,
            Some(body.clone()),
        )
        .await;
        let d = data(s, &res, "Successfully retrieved business postback");
        assert_eq!(d[1][0]["id"], model);
        assert_eq!(d[1][0]["initialAmount"], 0);
        assert_eq!(d[1][0]["businessPostbackID"], pb);
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/paymentmodel/remove",
            &biz,
            Some(body),
        )
        .await;
        let d = data(s, &res, "Successfully removed business postback");
        assert_eq!(d[1][0]["businessPostbackID"], Value::Null);

        let body = j!({"businessID": biz.id, "businessPostbackID": pb});
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/business",
            &biz,
            Some(body.clone()),
        )
        .await;
        let d = data(s, &res, "Successfully updated business postback business");
        assert_eq!(d[1][0]["businessID"], biz.id);
        assert_eq!(d[1][0]["businessPostbackID"], pb);
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/business/remove",
            &biz,
            Some(body),
        )
        .await;
        let d = data(s, &res, "Successfully updated business postback business");
        assert_eq!(d[1][0]["businessPostbackID"], Value::Null);

        // A Mainnet postback cannot serve a Ropsten payment model.
        let main = create(&t, &biz, &biz.id, "https://example.com/main", "Mainnet").await;
        let (s, res) = call(&t, Method::PUT, "/business/postback/paymentmodel", &biz,
        Some(j!({"businessID": biz.id, "paymentModelID": model, "businessPostbackID": main["id"]}))).await;
        assert_field(
            s,
            &res,
            "businessPostbackID",
            "error.postback.network.mismatch",
        );
        let (s, res) = call(&t, Method::PUT, "/business/postback/product", &biz,
        Some(j!({"businessID": biz.id, "productID": payplane_core::ids::new_id(), "businessPostbackID": pb}))).await;
        assert_eq!(s, 404, "{res}");
    }
);

dual!(
    parent_links_need_a_postback_of_the_parent_and_the_psps_key,
    async |b| {
        let t = TestApp::start(b).await;
        let psp = business(&t).await;
        let merchant = sub_business(&t, &psp).await;
        let stranger = business(&t).await;
        let mine = create(
            &t,
            &merchant,
            &merchant.id,
            "https://example.com/m",
            "Ropsten",
        )
        .await;
        let theirs = create(&t, &psp, &psp.id, "https://example.com/psp", "Ropsten").await;
        let foreign = create(
            &t,
            &stranger,
            &stranger.id,
            "https://example.com/s",
            "Ropsten",
        )
        .await;
        let link = |parent: &Value| j!({"businessID": merchant.id, "businessPostbackID": mine["id"], "parentBusinessPostbackID": parent["id"]});
        // The sub-business alone cannot subscribe its parent.
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/parent",
            &merchant,
            Some(link(&theirs)),
        )
        .await;
        assert_error(s, &res, 403, "error.business.forbidden");
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/parent",
            &psp,
            Some(link(&foreign)),
        )
        .await;
        assert_error(s, &res, 403, "error.business.forbidden");
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/parent",
            &psp,
            Some(link(&theirs)),
        )
        .await;
        let d = data(s, &res, "Successfully updated postback parent");
        assert_eq!(d["parentBusinessPostbackID"], theirs["id"]);
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback/parent/remove",
            &merchant,
            Some(j!({"businessID": merchant.id, "businessPostbackID": mine["id"]})),
        )
        .await;
        let d = data(s, &res, "Successfully updated business postback parent");
        assert_eq!(d["parentBusinessPostbackID"], Value::Null);
    }
);

dual!(
    postback_control_is_stored_per_business_and_network,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let (s, res) = call(
            &t,
            Method::GET,
            &format!("/business/postback-control/{}", biz.id),
            &biz,
            None,
        )
        .await;
        let d = data(s, &res, "Successfully retrieved business postback control");
        assert_eq!(
            d,
            j!({"businessID": biz.id, "product": true, "paymentModel": true, "business": true, "parentBusiness": true, "networkID": null})
        );
        let (s, res) = call(&t, Method::PUT, "/business/postback-control/", &biz,
        Some(j!({"businessID": biz.id, "product": "false", "paymentModel": false, "business": false, "parentBusiness": false, "environment": "Ropsten"}))).await;
        let d = data(s, &res, "Successfully updated postback control");
        assert_eq!(d["networkID"], 3);
        assert_eq!(d["product"], false);
        let get = |q: &'static str| {
            let path = format!("/business/postback-control/{}{q}", biz.id);
            let t = &t;
            let biz = &biz;
            async move { call(t, Method::GET, &path, biz, None).await }
        };
        let (_, r3) = get("?networkID=3").await;
        assert_eq!(r3["data"]["business"], false);
        let (_, r1) = get("?environment=Mainnet").await;
        assert_eq!(r1["data"]["business"], true);
        let (_, all) = get("").await;
        assert_eq!(all["data"]["business"], false, "off somewhere reads as off");
        // The stray path sets the business in the path; absent switches keep their values.
        let (s, res) = call(
            &t,
            Method::PUT,
            &format!("/postback-control/{}", biz.id),
            &biz,
            Some(j!({"business": true, "networkID": 3})),
        )
        .await;
        let d = data(s, &res, "Successfully updated postback control");
        assert_eq!(d["business"], true);
        assert_eq!(d["product"], false);
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback-control/",
            &biz,
            Some(j!({"businessID": biz.id, "product": "maybe"})),
        )
        .await;
        assert_field(s, &res, "product", "error.field.not.boolean");
    }
);

dual!(every_postback_route_is_in_the_openapi_document, async |b| {
    let t = TestApp::start(b).await;
    let (s, doc) = json(t.get("/openapi.json").send().await.unwrap()).await;
    assert_eq!(s, 200);
    let paths = doc["paths"].as_object().unwrap();
    for (p, m) in [
        ("/api/v2/api-key-auth/business/postback", "post"),
        ("/api/v2/api-key-auth/business/postback", "put"),
        (
            "/api/v2/api-key-auth/business/postback/{postbackID}/{businessID}",
            "get",
        ),
        (
            "/api/v2/api-key-auth/business/postback/{postbackID}/{businessID}",
            "delete",
        ),
        ("/api/v2/api-key-auth/business/postback/{businessID}", "get"),
        ("/api/v2/api-key-auth/business/postback/product", "put"),
        (
            "/api/v2/api-key-auth/business/postback/product/remove",
            "put",
        ),
        ("/api/v2/api-key-auth/business/postback/paymentmodel", "put"),
        (
            "/api/v2/api-key-auth/business/postback/paymentmodel/remove",
            "put",
        ),
        ("/api/v2/api-key-auth/business/postback/business", "put"),
        (
            "/api/v2/api-key-auth/business/postback/business/remove",
            "put",
        ),
        ("/api/v2/api-key-auth/business/postback/parent", "put"),
        (
            "/api/v2/api-key-auth/business/postback/parent/remove",
            "put",
        ),
        ("/api/v2/api-key-auth/business/postback-control/", "put"),
        (
            "/api/v2/api-key-auth/business/postback-control/{business_id}",
            "get",
        ),
        ("/api/v2/api-key-auth/postback-control/{business_id}", "put"),
        (
            "/api/v2/api-key-auth/business/postback-secret/{businessID}/rotate",
            "post",
        ),
        (
            "/api/v2/api-key-auth/business/postback-deliveries/{businessID}",
            "get",
        ),
        (
            "/api/v2/api-key-auth/business/postback-deliveries/{businessID}/{deliveryID}/redeliver",
            "post",
        ),
        (
            "/api/v2/api-key-auth/business/postback/test/{businessID}",
            "post",
        ),
    ] {
        assert!(
            paths.get(p).and_then(|x| x.get(m)).is_some(),
            "{m} {p} missing from /openapi.json"
        );
    }
});

dual!(
    deleting_a_postback_drops_its_links_and_pending_deliveries,
    async |b| {
        let t = private_ok(b).start().await;
        let biz = business(&t).await;
        let d = create(&t, &biz, &biz.id, "https://example.com/pb", "Ropsten").await;
        let id = d["id"].as_str().unwrap();
        let (s, res) = call(
            &t,
            Method::POST,
            &format!("/business/postback/test/{}", biz.id),
            &biz,
            Some(j!({"networkID": 3})),
        )
        .await;
        assert_eq!(
            data(s, &res, "Successfully sent test postback")["deliveries"][0]["postbackID"],
            id
        );
        let (s, _) = call(
            &t,
            Method::DELETE,
            &format!("/business/postback/{id}/{}", biz.id),
            &biz,
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(t.run_deliveries().await, 0);
        let (_, res) = call(
            &t,
            Method::GET,
            &format!("/business/postback-deliveries/{}", biz.id),
            &biz,
            None,
        )
        .await;
        assert_eq!(res["data"][0]["status"], "dead");
        let (s, res) = call(
            &t,
            Method::POST,
            &format!("/business/postback/test/{}", biz.id),
            &biz,
            Some(j!({"networkID": 3})),
        )
        .await;
        assert_eq!(
            data(s, &res, "Successfully sent test postback")["deliveries"],
            j!([])
        );
    }
);

dual!(concurrent_first_postbacks_share_one_secret, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let calls = (0..6).map(|i| {
        let (t, biz) = (&t, &biz);
        async move {
            let env = if i % 2 == 0 { "Ropsten" } else { "Mainnet" };
            create(t, biz, &biz.id, "https://example.com/pb", env).await
        }
    });
    let created = futures::future::join_all(calls).await;
    let shown = created
        .iter()
        .filter(|d| d.get("signingSecret").is_some())
        .count();
    assert_eq!(shown, 1, "the secret is created and shown once");
    let (n,): (i64,) = payplane_store::sqlx::query_as(
        "SELECT COUNT(DISTINCT secret) FROM webhook_endpoints WHERE owner_id = $1",
    )
    .bind(&biz.id)
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    assert_eq!(n, 1);
});

dual!(
    moving_a_postback_to_another_network_drops_its_old_links,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let d = create(&t, &biz, &biz.id, "https://example.com/pb", "Ropsten").await;
        let id = d["id"].as_str().unwrap();
        let (s, res) = call(
            &t,
            Method::POST,
            &format!("/business/postback/test/{}", biz.id),
            &biz,
            Some(j!({"networkID": 3})),
        )
        .await;
        assert_eq!(
            data(s, &res, "Successfully sent test postback")["deliveries"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let (s, res) = call(&t, Method::PUT, "/business/postback", &biz,
        Some(j!({"id": id, "businessID": biz.id, "url": "https://example.com/pb", "environment": "Mainnet"}))).await;
        assert_eq!(s, 200, "{res}");
        let test = |net: i64| {
            let (t, biz) = (&t, &biz);
            async move {
                let path = format!("/business/postback/test/{}", biz.id);
                let (s, res) =
                    call(t, Method::POST, &path, biz, Some(j!({"networkID": net}))).await;
                data(s, &res, "Successfully sent test postback")["deliveries"].clone()
            }
        };
        assert_eq!(test(3).await, j!([]));
        // On its new network it is the business-level postback, as a new one would be.
        assert_eq!(test(1).await[0]["postbackID"], id);
    }
);

dual!(
    postback_control_is_served_without_the_trailing_slash_too,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let (s, res) = call(
            &t,
            Method::PUT,
            "/business/postback-control",
            &biz,
            Some(j!({"businessID": biz.id, "product": false, "networkID": 1})),
        )
        .await;
        assert_eq!(
            data(s, &res, "Successfully updated postback control")["product"],
            false
        );
    }
);
