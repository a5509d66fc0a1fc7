use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json as j};

const PNG: &str = "iVBORw0KGgoAAAANSUhEUg==";
const JPEG: &str = "/9j/4AAQSkZJRgAB";
const WEBP: &str = "UklGRiQAAABXRUJQVlA4IA==";
const GIF: &str = "R0lGODlhAQA=";

async fn create(t: &TestApp, b: &Biz, body: Value) -> (u16, Value) {
    json(
        api(
            t,
            Method::POST,
            &format!("/api-key-auth/products/{}", b.id),
            b,
        )
        .json(&body)
        .send()
        .await
        .unwrap(),
    )
    .await
}

/// A GET whose future owns its request (so callers may pass temporary paths).
fn get(
    t: &TestApp,
    b: &Biz,
    path: &str,
) -> impl std::future::Future<Output = (u16, Value)> + use<> {
    let rb = api(t, Method::GET, path, b);
    async move { json(rb.send().await.unwrap()).await }
}

dual!(
    a_product_is_created_with_an_image_served_back_by_url,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let (s, body) = create(&t, &biz, j!({"pmaApiKey": "ignored", "businessID": biz.id, "categoryID": 3, "tags": ["shoes", 7],
        "productName": "Sneakers", "productDescription": "Red", "productUrl": "https://shop.example/s", "byte64Image": PNG, "networkID": 3})).await;
        let d = data(s, &body, "Product record created");
        assert_eq!(d["businessID"], biz.id.as_str());
        assert_eq!(d["categoryID"], 3);
        assert_eq!(d["tags"], j!(["shoes", 7]));
        assert_eq!(d["verified"], false);
        assert_eq!(d["enabled"], true);
        assert!(d["creationTimestamp"].as_i64().unwrap() > 1_000_000_000);
        let url = d["imageUrl"].as_str().unwrap();
        assert!(
            url.starts_with("/api/v2/open-auth/product-images/"),
            "{url}"
        );
        let res = t.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(
            res.bytes().await.unwrap().as_ref(),
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
        );
        // A JSON array wrapping the body, as the document's JavaScript sends it, is read too.
        let (s, body) = create(&t, &biz, j!([{"categoryID": 1, "productName": "Wrapped", "byte64Image": format!("data:image/jpeg;base64,{JPEG}")}])).await;
        let url = data(s, &body, "Product record created")["imageUrl"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            t.get(&url).send().await.unwrap().headers()["content-type"],
            "image/jpeg"
        );
        let (s, body) = create(
            &t,
            &biz,
            j!({"categoryID": 1, "productName": "Webp", "byte64Image": WEBP}),
        )
        .await;
        let url = data(s, &body, "Product record created")["imageUrl"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            t.get(&url).send().await.unwrap().headers()["content-type"],
            "image/webp"
        );
    }
);

dual!(
    images_are_type_checked_by_their_bytes_and_size_limited,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.pumapay.image_max_bytes = 100)
            .start()
            .await;
        let biz = business(&t).await;
        let big = format!("iVBORw0KGgo{}", "A".repeat(300));
        for (image, code) in [
            (GIF, "error.image.type"),
            ("not base64!", "error.image.base64"),
            (big.as_str(), "error.image.too.large"),
        ] {
            let (s, body) = create(
                &t,
                &biz,
                j!({"categoryID": 1, "productName": "P", "byte64Image": image}),
            )
            .await;
            assert_field(s, &body, "byte64Image", code);
        }
        let (s, body) = json(
            t.get("/api/v2/open-auth/product-images/nope")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 404, "error.image.not.found");
    }
);

dual!(product_fields_are_validated, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let (s, body) = create(
        &t,
        &biz,
        j!({"tags": [{"a": 1}], "productUrl": "javascript:alert(1)", "networkID": 2}),
    )
    .await;
    assert_field(s, &body, "categoryID", "error.field.required");
    assert_field(s, &body, "productName", "error.field.required");
    assert_field(s, &body, "tags", "error.tags.invalid");
    assert_field(s, &body, "productUrl", "error.url.invalid");
    assert_field(s, &body, "networkID", "error.network.invalid");
    let (s, body) = create(&t, &biz, j!({"categoryID": 9999, "productName": "P"})).await;
    assert_field(s, &body, "categoryID", "error.category.unknown");
    let (s, body) = create(&t, &biz, j!({"categoryID": "two", "productName": "P"})).await;
    assert_field(s, &body, "categoryID", "error.field.not.integer");
});

dual!(categories_follow_the_business_industries, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let path = format!("/api-key-auth/product-categories/{}", biz.id);
    let (s, body) = get(&t, &biz, &path).await;
    let all = data(s, &body, "Successfully retrieved product categories.");
    assert!(all.as_array().unwrap().len() > 20);
    assert!(
        all[0]["id"].is_i64()
            && all[0]["industryID"].is_i64()
            && all[0]["categoryName"].is_string()
    );
    api(
        &t,
        Method::PUT,
        &format!("/api-key-auth/business/business-details/{}", biz.id),
        &biz,
    )
    .json(&j!({"industry1": 3}))
    .send()
    .await
    .unwrap();
    let (_, body) = get(&t, &biz, &path).await;
    let mine = body["data"].as_array().unwrap();
    assert!(
        !mine.is_empty() && mine.iter().all(|c| c["industryID"] == 3),
        "{body}"
    );
});

dual!(
    products_list_with_filters_pagination_and_ordering,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let mut ids = vec![];
        for (name, cat) in [("Bravo", 1), ("Alpha", 2), ("Charlie", 1)] {
            let (_, body) = create(&t, &biz, j!({"categoryID": cat, "productName": name})).await;
            ids.push(body["data"]["productID"].as_str().unwrap().to_string());
            t.clock.advance_secs(1);
        }
        // Bravo has a EUR model on the test network and a cheap USD one on the main network.
        let mut m = model_body(2, &biz.id, &ids[0]);
        m["currency"] = j!("EUR");
        m["amount"] = j!(5000);
        model(&t, &biz, &m).await;
        let mut m = model_body(2, &biz.id, &ids[2]);
        m["amount"] = j!(100);
        model(&t, &biz, &m).await;
        let mut m = model_body(2, &biz.id, &ids[1]);
        m["networkID"] = j!(1);
        model(&t, &biz, &m).await;
        let names = |v: &Value| -> Vec<String> {
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["productName"].as_str().unwrap().to_string())
                .collect()
        };
        let list = |q: &str| {
            get(
                &t,
                &biz,
                &format!("/api-key-auth/products/all/{}/3{q}", biz.id),
            )
        };
        let (s, body) = list("").await;
        data(s, &body, "Successfully retrieved products list.");
        assert_eq!(
            names(&body),
            ["Charlie", "Alpha", "Bravo"],
            "newest first by default"
        );
        assert_eq!(
            names(&list("?orderBy=date&orderType=ASC").await.1),
            ["Bravo", "Alpha", "Charlie"]
        );
        assert_eq!(
            names(&list("?orderBy=name&orderType=asc").await.1),
            ["Alpha", "Bravo", "Charlie"]
        );
        assert_eq!(
            names(&list("?orderBy=price&orderType=DESC").await.1),
            ["Bravo", "Charlie", "Alpha"]
        );
        assert_eq!(
            names(&list("?categoryID=1&orderType=ASC").await.1),
            ["Bravo", "Charlie"]
        );
        assert_eq!(names(&list("?currency=EUR").await.1), ["Bravo"]);
        assert_eq!(names(&list("?verified=true").await.1), Vec::<String>::new());
        assert_eq!(
            names(&list("?verified=false&orderType=ASC").await.1),
            ["Bravo", "Alpha", "Charlie"]
        );
        assert_eq!(
            names(&list("?page=2&itemsPerPage=2&orderType=ASC").await.1),
            ["Charlie"]
        );
        assert_eq!(
            names(&list("?page=1&ItemsPerPage=1&orderType=ASC").await.1),
            ["Bravo"]
        );
        let (_, main) = get(
            &t,
            &biz,
            &format!("/api-key-auth/products/all/{}/1?currency=USD", biz.id),
        )
        .await;
        assert_eq!(
            names(&main),
            ["Alpha"],
            "the currency filter looks at the network's models"
        );
        let (s, body) =
            list("?orderType=UP&itemsPerPage=0&page=0&orderBy=colour&currency=BTC").await;
        assert_field(s, &body, "orderType", "error.order.type.invalid");
        assert_field(s, &body, "itemsPerPage", "error.items.per.page.invalid");
        assert_field(s, &body, "page", "error.page.invalid");
        assert_field(s, &body, "orderBy", "error.order.by.invalid");
        assert_field(s, &body, "currency", "error.currency.invalid");
        let (s, body) = get(
            &t,
            &biz,
            &format!("/api-key-auth/products/all/{}/2", biz.id),
        )
        .await;
        assert_field(s, &body, "networkID", "error.network.invalid");
    }
);

dual!(
    earnings_and_customers_come_from_pull_payments_and_transactions,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let mid = model(&t, &biz, &model_body(3, &biz.id, &pid)).await;
        let single = |net: i64, q: &'static str| {
            get(
                &t,
                &biz,
                &format!("/api-key-auth/products/single/{}/{pid}/{net}{q}", biz.id),
            )
        };
        let (s, body) = single(3, "").await;
        let d = data(s, &body, "Successfully retrieved Product details.");
        for f in [
            "usdTotalEarnings",
            "eurTotalEarnings",
            "jpyTotalEarnings",
            "gbpTotalEarnings",
            "activeCustomers",
        ] {
            assert_eq!(d[f], "0", "{f}: {d}");
        }
        assert_eq!(d["numOfBilling"], "1");
        assert_eq!(d["totalEarnings"], 0);
        // Rows the wallet flow and the executor write, seeded through the store (see reads.rs).
        use crate::pumapay::reads::{
            pull_payment, seed_pull_payment, seed_transaction, transaction,
        };
        use payplane_core::kinds::{PullPaymentStatus, TxStatus, TxType};
        let pp = |customer: &str, status: PullPaymentStatus| {
            let mut p = pull_payment(&biz.id, &pid, &mid, 3, status, "cust", 1);
            p.customer_address = customer.to_string();
            p
        };
        let pp1 = pp("0xaaa", PullPaymentStatus::Running);
        let pp2 = pp("0xbbb", PullPaymentStatus::Processing);
        let pp3 = pp("0xccc", PullPaymentStatus::Cancelled);
        for p in [&pp1, &pp2, &pp3] {
            seed_pull_payment(&t, p).await;
        }
        for (pull, index, currency, amount, status) in [
            (&pp1, 0, "USD", 1299, TxStatus::Success),
            (&pp2, 0, "USD", 1299, TxStatus::Success),
            (&pp1, 1, "USD", 1299, TxStatus::Failed),
            (&pp3, 0, "EUR", 500, TxStatus::Success),
        ] {
            let mut x = transaction(
                pull,
                TxType::Execute,
                status,
                Some(index),
                Some(1_700_000_000),
                amount,
            );
            x.currency = currency.into();
            seed_transaction(&t, &x).await;
        }
        let (_, body) = single(3, "").await;
        let d = &body["data"];
        assert_eq!(
            d["usdTotalEarnings"], "2598",
            "failed transactions do not count"
        );
        assert_eq!(d["eurTotalEarnings"], "500");
        assert_eq!(
            d["activeCustomers"], "2",
            "running and processing pull payments"
        );
        assert_eq!(d["totalEarnings"], 2598);
        let (_, body) = single(3, "?currency=EUR").await;
        assert_eq!(body["data"]["totalEarnings"], 500);
        let (_, body) = single(1, "").await;
        assert_eq!(
            body["data"]["usdTotalEarnings"], "0",
            "the main network has its own figures"
        );
        assert_eq!(body["data"]["numOfBilling"], "0");
        let (_, body) = get(
            &t,
            &biz,
            &format!("/api-key-auth/products/all/{}/3", biz.id),
        )
        .await;
        assert_eq!(body["data"][0]["usdTotalEarnings"], "2598");
    }
);

dual!(updating_keeps_or_replaces_the_image, async |b| {
    let t = TestApp::start(b).await;
    let biz = business(&t).await;
    let other = business(&t).await;
    let (_, body) = create(
        &t,
        &biz,
        j!({"categoryID": 1, "productName": "P", "byte64Image": PNG}),
    )
    .await;
    let pid = body["data"]["productID"].as_str().unwrap().to_string();
    let first = body["data"]["imageUrl"].clone();
    let put = |body: Value| {
        api(
            &t,
            Method::PUT,
            &format!("/api-key-auth/products/{}/{pid}", biz.id),
            &biz,
        )
        .json(&body)
    };
    let (s, body) = json(put(j!({"productID": pid, "productName": "Renamed", "tags": ["x"], "categoryID": 2, "byte64Image": "NO_IMAGE_CHANGE", "networkID": 3})).send().await.unwrap()).await;
    assert_eq!(data(s, &body, "Successfully updated product."), true);
    let (_, body) = get(
        &t,
        &biz,
        &format!("/api-key-auth/products/single/{}/{pid}/3", biz.id),
    )
    .await;
    assert_eq!(body["data"]["productName"], "Renamed");
    assert_eq!(body["data"]["categoryID"], 2);
    assert_eq!(body["data"]["imageUrl"], first);
    let (s, _) = json(put(j!({"byte64Image": JPEG})).send().await.unwrap()).await;
    assert_eq!(s, 200);
    let (_, body) = get(
        &t,
        &biz,
        &format!("/api-key-auth/products/single/{}/{pid}/3", biz.id),
    )
    .await;
    assert_ne!(body["data"]["imageUrl"], first);
    assert_eq!(
        body["data"]["productName"], "Renamed",
        "absent fields are kept"
    );
    let (s, body) = json(put(j!({"productName": ""})).send().await.unwrap()).await;
    assert_field(s, &body, "productName", "error.field.required");
    // Another business's product id under your own business id is simply not found.
    let (s, body) = json(
        api(
            &t,
            Method::PUT,
            &format!("/api-key-auth/products/{}/{pid}", other.id),
            &other,
        )
        .json(&j!({"productName": "Mine"}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_error(s, &body, 404, "error.product.not.found");
});

dual!(
    a_hidden_product_stays_readable_but_takes_no_new_payment_models,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        let hide = |enabled: bool| {
            api(
                &t,
                Method::PATCH,
                &format!("/api-key-auth/products/{}/{pid}/hide", biz.id),
                &biz,
            )
            .json(&j!({"enabled": enabled}))
        };
        let (s, body) = json(hide(false).send().await.unwrap()).await;
        assert_eq!(s, 200);
        assert_eq!(body["message"], "Successfully deleted product");
        assert!(body.get("data").is_none(), "{body}");
        let (_, body) = get(
            &t,
            &biz,
            &format!("/api-key-auth/products/single/{}/{pid}/3", biz.id),
        )
        .await;
        assert_eq!(body["data"]["enabled"], false);
        let (_, body) = get(
            &t,
            &biz,
            &format!("/api-key-auth/products/all/{}/3", biz.id),
        )
        .await;
        assert_eq!(
            body["data"][0]["enabled"], false,
            "hidden products are listed, marked"
        );
        let (s, body) = json(
            api(&t, Method::POST, "/api-key-auth/pull-payment-models", &biz)
                .json(&model_body(2, &biz.id, &pid))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 409, "error.product.hidden");
        let (s, _) = json(hide(true).send().await.unwrap()).await;
        assert_eq!(s, 200);
        model(&t, &biz, &model_body(2, &biz.id, &pid)).await;
    }
);

dual!(
    an_operator_verifies_products_and_the_verified_filter_follows,
    async |b| {
        let t = TestApp::start(b).await;
        let biz = business(&t).await;
        let pid = product(&t, &biz, &biz.id).await;
        product(&t, &biz, &biz.id).await;
        let op = t.admin().await;
        let (s, body) = json(
            t.post(&format!("/api/v2/admin/products/{pid}/verify"))
                .header("Authorization", op.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            data(s, &body, "Successfully updated the product.")["verified"],
            true
        );
        let (_, body) = get(
            &t,
            &biz,
            &format!("/api-key-auth/products/all/{}/3?verified=true", biz.id),
        )
        .await;
        let list = body["data"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["productID"], pid.as_str());
        assert_eq!(list[0]["verified"], true);
        let (s, body) = json(
            t.post("/api/v2/admin/products/nope/verify")
                .header("Authorization", op.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 404, "error.product.not.found");
    }
);
