use crate::dual;
use crate::pumapay::support::*;
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json as j};

async fn get(t: &TestApp, b: &Biz, path: &str) -> (u16, Value) {
    json(api(t, Method::GET, path, b).send().await.unwrap()).await
}

async fn control(t: &TestApp, b: &Biz) -> Value {
    let (s, body) = get(
        t,
        b,
        &format!("/api-key-auth/business-control/status/{}", b.id),
    )
    .await;
    data(s, &body, "Successfully retrieved business control.")
}

dual!(
    retrieve_business_shows_a_gas_wallet_derived_from_the_platform_seed,
    async |b| {
        let t = TestApp::start(b).await;
        let a = business(&t).await;
        let c = business(&t).await;
        let (s, body) = get(&t, &a, &format!("/api-key-auth/business/{}", a.id)).await;
        let d = data(s, &body, "Successfully retrieved business details.");
        assert_eq!(d["businessID"], a.id.as_str());
        assert_eq!(d["companyName"], "Acme Ltd");
        for f in [
            "businessName",
            "businessType",
            "description",
            "kycTierID",
            "countryID",
            "state",
            "city",
            "zipCode",
            "streetAddress1",
            "streetAddress2",
            "treasuryWallet",
            "industry1",
            "industry2",
            "url",
        ] {
            assert!(d.get(f).is_some(), "missing {f}: {d}");
        }
        assert!(d["registrationDate"].as_str().unwrap().ends_with('Z'));
        let index = d["gasWalletIndex"].as_i64().unwrap();
        assert!(index >= 1, "index 0 is the platform executor");
        let phrase = payplane_app::pumapay::wallets::mnemonic(&t.app)
            .await
            .unwrap();
        assert_eq!(
            d["gasWallet"],
            payplane_app::pumapay::wallets::derive_address(&phrase, index)
                .unwrap()
                .as_str()
        );
        let (_, other) = get(&t, &c, &format!("/api-key-auth/business/{}", c.id)).await;
        assert_eq!(
            other["data"]["gasWalletIndex"].as_i64().unwrap(),
            index + 1,
            "next free index"
        );
        assert_ne!(other["data"]["gasWallet"], d["gasWallet"]);
    }
);

dual!(
    a_configured_mnemonic_derives_gas_wallets_on_the_bip44_path,
    async |b| {
        let t = TestApp::builder(b)
            .config(|c| {
                c.chain_mnemonic = payplane_app::config::Secret(
                    "test test test test test test test test test test test junk".into(),
                )
            })
            .start()
            .await;
        let a = business(&t).await;
        let (_, body) = get(&t, &a, &format!("/api-key-auth/business/{}", a.id)).await;
        assert_eq!(body["data"]["gasWalletIndex"], 1);
        // m/44'/60'/0'/0/1 of the well-known development mnemonic.
        assert_eq!(
            body["data"]["gasWallet"],
            "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
        );
    }
);

dual!(a_generated_mnemonic_is_stored_sealed, async |b| {
    let t = TestApp::start(b).await;
    business(&t).await;
    let (sealed,): (String,) = payplane_store::sqlx::query_as(
        "SELECT sealed FROM platform_secrets WHERE name = 'hd_wallet_mnemonic'",
    )
    .fetch_one(&t.app.db.read)
    .await
    .unwrap();
    let phrase = payplane_app::pumapay::wallets::mnemonic(&t.app)
        .await
        .unwrap();
    assert_eq!(phrase.split(' ').count(), 24);
    assert!(sealed.starts_with("v1:") && !sealed.contains(phrase.split(' ').next().unwrap()));
});

dual!(
    business_details_carry_the_reference_lists_and_owner_contact,
    async |b| {
        let t = TestApp::start(b).await;
        let a = business(&t).await;
        let (s, body) = json(
        api(&t, Method::PUT, &format!("/api-key-auth/business/business-details/{}", a.id), &a)
            .json(&j!({"businessName": "Acme Shop", "businessType": "3", "description": "Shoes", "countryID": "GR",
                       "city": "Athens", "zipCode": 10558, "streetAddress1": "Ermou 1", "industry1": 1,
                       "url": "https://acme.example", "firstName": "Ada", "lastName": "Lovelace", "jobTitle": "CEO",
                       "phoneNumber": "+30 210 000"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
        data(s, &body, "Successfully updated the business details.");
        let (s, body) = get(
            &t,
            &a,
            &format!("/api-key-auth/business/business-details/{}", a.id),
        )
        .await;
        let d = data(s, &body, "Successfully retrieved the business details.");
        assert_eq!(d["businessName"], "Acme Shop");
        assert_eq!(d["businessType"], 3);
        assert_eq!(d["zipCode"], "10558");
        assert_eq!(d["firstName"], "Ada");
        assert_eq!(d["jobTitle"], "CEO");
        assert!(
            d["countries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["countryID"] == "GR" && c["countryName"] == "Greece")
        );
        assert!(
            d["industries"][0]["id"].is_i64() && d["industries"][0]["industryName"].is_string()
        );
        assert!(
            d["businessTypes"][0]["id"].is_i64()
                && d["businessTypes"][0]["businessType"].is_string()
        );
    }
);

dual!(
    business_details_refuse_values_outside_the_reference_lists,
    async |b| {
        let t = TestApp::start(b).await;
        let a = business(&t).await;
        let (s, body) = json(
        api(&t, Method::PUT, &format!("/api-key-auth/business/business-details/{}", a.id), &a)
            .json(&j!({"businessType": 999, "countryID": "XX", "industry1": 999, "industry2": "abc", "url": "ftp://x"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
        assert_field(s, &body, "industry2", "error.field.not.integer");
        let (s, body) = json(
            api(
                &t,
                Method::PUT,
                &format!("/api-key-auth/business/business-details/{}", a.id),
                &a,
            )
            .json(&j!({"businessType": 999, "countryID": "XX", "industry1": 999, "url": "ftp://x"}))
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_field(s, &body, "businessType", "error.business.type.unknown");
        assert_field(s, &body, "countryID", "error.country.unknown");
        assert_field(s, &body, "industry1", "error.industry.unknown");
        assert_field(s, &body, "url", "error.url.invalid");
    }
);

dual!(
    treasury_wallet_is_eip55_checked_and_returned_checksummed,
    async |b| {
        let t = TestApp::start(b).await;
        let a = business(&t).await;
        let post = |w: &str| {
            api(&t, Method::POST, "/api-key-auth/treasury-wallet", &a)
                .json(&j!({"businessID": a.id, "treasuryWallet": w}))
        };
        let (s, body) = json(post(&WALLET.to_lowercase()).send().await.unwrap()).await;
        let d = data(s, &body, "Successfully assigned the treasury wallet.");
        assert_eq!(d["treasuryWallet"], WALLET);
        assert_eq!(d["treasuryWalletAddressSubmitted"], true);
        let bad_checksum = WALLET.replace("Aed", "AeD");
        let (s, body) = json(post(&bad_checksum).send().await.unwrap()).await;
        assert_field(s, &body, "treasuryWallet", "error.wallet.checksum");
        let (s, body) = json(
            post("0xD808D22F4f8b418faA3c4cC2D941eFCe8cB99")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_field(s, &body, "treasuryWallet", "error.wallet.invalid");
        let (_, body) = get(&t, &a, &format!("/api-key-auth/business/{}", a.id)).await;
        assert_eq!(
            body["data"]["treasuryWallet"], WALLET,
            "refusals changed nothing"
        );
    }
);

dual!(
    treasury_confirmation_needs_a_wallet_and_a_user_of_the_business,
    async |b| {
        let t = TestApp::start(b).await;
        let a = business(&t).await;
        let other = business(&t).await;
        let confirm = |user: &str| {
            api(
                &t,
                Method::POST,
                "/api-key-auth/treasury-wallet/confirm",
                &a,
            )
            .json(&j!({"businessID": a.id, "userID": user}))
        };
        let (s, body) = json(confirm(&a.user_id).send().await.unwrap()).await;
        assert_error(s, &body, 409, "error.treasury.wallet.missing");
        api(&t, Method::POST, "/api-key-auth/treasury-wallet", &a)
            .json(&j!({"businessID": a.id, "treasuryWallet": WALLET}))
            .send()
            .await
            .unwrap();
        let (s, body) = json(confirm(&other.user_id).send().await.unwrap()).await;
        assert_error(s, &body, 404, "error.user.not.member");
        assert_eq!(body["errors"][0]["field"], "userID", "{body}");
        let (s, body) = json(confirm(&a.user_id).send().await.unwrap()).await;
        let d = data(s, &body, "Successfully confirmed the treasury wallet.");
        assert_eq!(d["treasuryWalletAddressApproved"], true);
    }
);

dual!(
    control_flags_follow_the_actions_and_operator_approval_completes_onboarding,
    async |b| {
        let t = TestApp::start(b).await;
        let a = business(&t).await;
        let c = control(&t, &a).await;
        for f in [
            "businessDetailsSubmitted",
            "businessDetailsApproved",
            "kycSubmitted",
            "kycApproved",
            "kycRequested",
            "kycRejected",
            "treasuryWalletAddressSubmitted",
            "treasuryWalletAddressApproved",
            "prideAccessRequested",
            "prideAccessApproved",
            "businessKycFlowCompleted",
            "onBoardingCompleted",
            "isTrusted",
        ] {
            assert_eq!(c[f], false, "{f}: {c}");
        }
        assert_eq!(c["gasWalletAssigned"], true);
        assert_eq!(c["status"], "onboarding");
        assert!(c["updatedStatusAt"].is_null());

        api(
            &t,
            Method::PUT,
            &format!("/api-key-auth/business/business-details/{}", a.id),
            &a,
        )
        .json(&j!({"businessName": "Acme", "businessType": 1, "countryID": "DE", "industry1": 2}))
        .send()
        .await
        .unwrap();
        let c = control(&t, &a).await;
        assert_eq!(c["businessDetailsSubmitted"], true);
        assert_eq!(c["kycSubmitted"], true);
        api(&t, Method::POST, "/api-key-auth/treasury-wallet", &a)
            .json(&j!({"businessID": a.id, "treasuryWallet": WALLET}))
            .send()
            .await
            .unwrap();
        api(
            &t,
            Method::POST,
            "/api-key-auth/treasury-wallet/confirm",
            &a,
        )
        .json(&j!({"businessID": a.id, "userID": a.user_id}))
        .send()
        .await
        .unwrap();
        let c = control(&t, &a).await;
        assert_eq!(c["treasuryWalletAddressSubmitted"], true);
        assert_eq!(c["treasuryWalletAddressApproved"], true);
        assert_eq!(
            c["onBoardingCompleted"], false,
            "KYC is still an operator decision"
        );

        let user = t.user(payplane_app::pazemo::auth::Mode::Live).await;
        let (s, body) = json(
            t.post(&format!("/api/v2/admin/businesses/{}/approve-kyc", a.id))
                .header("Authorization", user.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 403, "error.admin.required");
        let op = t.admin().await;
        let (s, body) = json(
            t.post(&format!("/api/v2/admin/businesses/{}/approve-kyc", a.id))
                .header("Authorization", op.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        let c = data(s, &body, "Successfully updated the business control.");
        assert_eq!(c["kycApproved"], true);
        assert_eq!(c["businessDetailsApproved"], true);
        assert_eq!(c["businessKycFlowCompleted"], true);
        assert_eq!(c["onBoardingCompleted"], true);
        assert_eq!(c["status"], "active");
        assert!(c["updatedStatusAt"].as_str().unwrap().ends_with('Z'));
        let (s, body) = json(
            t.post(&format!("/api/v2/admin/businesses/{}/trust", a.id))
                .header("Authorization", op.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            data(s, &body, "Successfully updated the business control.")["isTrusted"],
            true
        );
        let audit: Vec<(String, String, String)> = payplane_store::sqlx::query_as(
            "SELECT actor, action, source FROM audit_log WHERE target = $1 ORDER BY created_at",
        )
        .bind(&a.id)
        .fetch_all(&t.app.db.read)
        .await
        .unwrap();
        assert_eq!(
            audit,
            vec![
                (op.id.clone(), "business.approve-kyc".into(), "api".into()),
                (op.id.clone(), "business.trust".into(), "api".into())
            ]
        );
        let (s, body) = json(
            t.post(&format!("/api/v2/admin/businesses/{}/promote", a.id))
                .header("Authorization", op.bearer())
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_error(s, &body, 400, "error.action.unknown");
    }
);

dual!(missing_body_fields_are_field_errors, async |b| {
    let t = TestApp::start(b).await;
    let a = business(&t).await;
    let (s, body) = json(
        t.post("/api/v2/console-auth/register")
            .json(&j!({"company": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_field(s, &body, "email", "error.email.invalid");
    assert_field(s, &body, "password", "error.password.weak");
    let (s, body) = json(
        api(&t, Method::POST, "/api-key-auth/treasury-wallet", &a)
            .json(&j!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_field(s, &body, "businessID", "error.field.required");
    assert_field(s, &body, "treasuryWallet", "error.field.required");
    let (s, body) = json(
        api(
            &t,
            Method::POST,
            "/api-key-auth/treasury-wallet/confirm",
            &a,
        )
        .json(&j!({"businessID": a.id}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_field(s, &body, "userID", "error.field.required");
    let (s, body) = json(
        api(
            &t,
            Method::POST,
            "/api-key-auth/business-control/sub/business/disabled",
            &a,
        )
        .json(&j!({"businessID": a.id}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_field(s, &body, "disabled", "error.field.required");
});
