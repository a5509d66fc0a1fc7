use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json as j};

async fn get(t: &TestApp, b: &Biz, path: &str) -> (u16, Value) {
    json(api(t, Method::GET, path, b).send().await.unwrap()).await
}

dual!(
    a_sub_business_gets_its_own_admin_user_and_the_parent_becomes_a_psp,
    async |b| {
        let t = TestApp::start(b).await;
        let psp = business(&t).await;
        let e = email();
        let (s, body) = json(
            api(
                &t,
                Method::POST,
                "/api-key-auth/register/sub/business",
                &psp,
            )
            .json(&j!({"companyName": "Merchant One", "email": e, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
        )
        .await;
        let d = data(s, &body, "Successfully created the child");
        let child_id = d["businessID"].as_str().unwrap().to_string();
        let child = login_with_key(&t, &child_id, d["userID"].as_str().unwrap(), &e).await;
        let (_, body) = get(&t, &child, &format!("/api-key-auth/business/{child_id}")).await;
        assert_eq!(body["data"]["parentID"], psp.id.as_str());
        assert_eq!(body["data"]["companyName"], "Merchant One");
        assert!(
            body["data"]["gasWallet"]
                .as_str()
                .unwrap()
                .starts_with("0x")
        );
        let (_, body) = get(&t, &psp, &format!("/api-key-auth/business/{}", psp.id)).await;
        assert_eq!(body["data"]["isPSP"], true);
        let (s, _) = json(
            api(
                &t,
                Method::POST,
                "/api-key-auth/register/sub/business",
                &psp,
            )
            .json(&j!({"company": "Again", "email": e, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(s, 409);
    }
);

dual!(
    the_psp_fills_in_sub_business_details_in_the_documents_spelling,
    async |b| {
        let t = TestApp::start(b).await;
        let psp = business(&t).await;
        let child = sub_business(&t, &psp).await;
        let (s, body) = json(
        api(&t, Method::PUT, "/api-key-auth/business/business-details/sub/business", &psp)
            .json(&j!({"parentID": psp.id, "businessID": child.id, "userID": child.user_id,
                       "business name": "Shop", "business type": 2, "description": "d", "countryID": "FR",
                       "city": "Paris", "zipCode": "75001", "streetAddress1": "1 rue", "industry1": 3,
                       "url": "https://shop.example", "firstname": "Jean", "lastname": "Dupont",
                       "jobTitle": "Owner", "phoneNumber": "+33 1"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
        let d = data(s, &body, "Successfully updated the child");
        assert_eq!(d["businessID"], child.id.as_str());
        let (s, body) = get(
            &t,
            &psp,
            &format!("/api-key-auth/business/business-details/{}", child.id),
        )
        .await;
        let d = data(s, &body, "Successfully retrieved the business details.");
        assert_eq!(d["businessName"], "Shop");
        assert_eq!(d["businessType"], 2);
        assert_eq!(d["firstName"], "Jean");
        assert_eq!(d["lastName"], "Dupont");
        let (_, body) = get(
            &t,
            &child,
            &format!("/api-key-auth/business-control/status/{}", child.id),
        )
        .await;
        assert_eq!(body["data"]["businessDetailsSubmitted"], true);
    }
);

dual!(
    sub_business_updates_check_the_parent_link_and_the_user,
    async |b| {
        let t = TestApp::start(b).await;
        let top = business(&t).await;
        let mid = sub_business(&t, &top).await;
        let leaf = sub_business(&t, &mid).await;
        let stranger = business(&t).await;
        let put = |parent: &str, business: &str, user: &str| {
            api(&t, Method::PUT, "/api-key-auth/business/business-details/sub/business", &top)
            .json(&j!({"parentID": parent, "businessID": business, "userID": user, "businessName": "X"}))
        };
        // The grandparent may act for the leaf, but must name the leaf's real parent.
        let (s, body) = json(put(&top.id, &leaf.id, &leaf.user_id).send().await.unwrap()).await;
        assert_error(s, &body, 403, "error.business.not.sub");
        let (s, body) = json(put(&mid.id, &leaf.id, &leaf.user_id).send().await.unwrap()).await;
        data(s, &body, "Successfully updated the child");
        let (s, body) = json(put(&mid.id, &leaf.id, &mid.user_id).send().await.unwrap()).await;
        assert_error(s, &body, 404, "error.user.not.member");
        assert_eq!(body["errors"][0]["field"], "userID", "{body}");
        let (s, body) = json(
            put(&stranger.id, &stranger.id, &stranger.user_id)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 403, "error.business.forbidden");
    }
);

dual!(
    listing_sub_businesses_returns_direct_children_under_both_spellings,
    async |b| {
        let t = TestApp::start(b).await;
        let psp = business(&t).await;
        let a = sub_business(&t, &psp).await;
        let c = sub_business(&t, &psp).await;
        let _grandchild = sub_business(&t, &a).await;
        for path in [
            format!("/api-key-auth/business/sub/business/{}", psp.id),
            format!("/api-key-auth/business/sub/businesses/{}", psp.id),
        ] {
            let (s, body) = get(&t, &psp, &path).await;
            let d = data(s, &body, "Successfully retrieved sub business details.");
            let ids: Vec<&str> = d
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["businessID"].as_str().unwrap())
                .collect();
            assert_eq!(ids, vec![a.id.as_str(), c.id.as_str()]);
            assert!(d[0]["gasWalletIndex"].is_i64() && d[0]["parentID"] == psp.id.as_str());
        }
        let (s, body) = get(
            &t,
            &a,
            &format!("/api-key-auth/business/sub/business/{}", psp.id),
        )
        .await;
        assert_error(s, &body, 403, "error.business.forbidden");
    }
);

dual!(
    disabling_names_a_direct_sub_business_and_records_an_event,
    async |b| {
        let t = TestApp::start(b).await;
        let psp = business(&t).await;
        let child = sub_business(&t, &psp).await;
        let stranger = business(&t).await;
        let disable = |parent: &str, business: &str| {
            api(
                &t,
                Method::POST,
                &format!("/api-key-auth/business-control/sub/business/disabled?parentID={parent}"),
                &psp,
            )
            .json(&j!({"businessID": business, "disabled": true}))
        };
        let (s, body) = json(disable(&psp.id, &psp.id).send().await.unwrap()).await;
        assert_error(s, &body, 403, "error.business.not.sub");
        let (s, body) = json(disable(&stranger.id, &stranger.id).send().await.unwrap()).await;
        assert_error(s, &body, 403, "error.business.forbidden");
        let (s, body) = json(disable(&psp.id, &child.id).send().await.unwrap()).await;
        assert_eq!(
            data(s, &body, "Successfully disabled the business.")["disabled"],
            true
        );
        let (n,): (i64,) = payplane_store::sqlx::query_as(
            "SELECT COUNT(*) FROM events WHERE kind = 'business.disabled' AND subject_id = $1",
        )
        .bind(&child.id)
        .fetch_one(&t.app.db.read)
        .await
        .unwrap();
        assert_eq!(n, 1);
        let (disabled,): (i64,) =
            payplane_store::sqlx::query_as("SELECT disabled FROM businesses WHERE id = $1")
                .bind(&child.id)
                .fetch_one(&t.app.db.read)
                .await
                .unwrap();
        assert_eq!(disabled, 1, "the executor reads this flag");
    }
);

dual!(
    psp_status_can_be_reserved_to_operator_marked_businesses,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| c.pumapay.psp_requires_operator_flag = true)
            .start()
            .await;
        let biz = business(&t).await;
        let create = || {
            api(
                &t,
                Method::POST,
                "/api-key-auth/register/sub/business",
                &biz,
            )
            .json(&j!({"company": "C", "email": email(), "password": PASSWORD}))
        };
        let (s, body) = json(create().send().await.unwrap()).await;
        assert_error(s, &body, 403, "error.business.not.psp");
        let op = t.admin().await;
        let (s, _) = json(
            t.post(&format!("/api/v2/admin/businesses/{}/mark-psp", biz.id))
                .header("Authorization", op.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 200);
        let (s, _) = json(create().send().await.unwrap()).await;
        assert_eq!(s, 200);
    }
);
