//! Reference data of the pull-payment API, shipped as JSON files in `crates/app/data/`.
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Country {
    #[serde(rename = "countryID")]
    pub country_id: String,
    pub country_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Industry {
    pub id: i64,
    pub industry_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BusinessType {
    pub id: i64,
    pub business_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductCategory {
    pub id: i64,
    #[serde(rename = "industryID")]
    pub industry_id: i64,
    pub category_name: String,
}

pub struct Reference {
    pub countries: Vec<Country>,
    pub industries: Vec<Industry>,
    pub business_types: Vec<BusinessType>,
    pub categories: Vec<ProductCategory>,
}

/// The reference lists, parsed once. The files are part of the build, so a parse failure is a
/// build defect caught by the unit test below.
pub fn get() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| Reference {
        countries: serde_json::from_str(include_str!("../../data/countries.json"))
            .unwrap_or_default(),
        industries: serde_json::from_str(include_str!("../../data/industries.json"))
            .unwrap_or_default(),
        business_types: serde_json::from_str(include_str!("../../data/business_types.json"))
            .unwrap_or_default(),
        categories: serde_json::from_str(include_str!("../../data/product_categories.json"))
            .unwrap_or_default(),
    })
}

impl Reference {
    pub fn has_country(&self, id: &str) -> bool {
        self.countries.iter().any(|c| c.country_id == id)
    }
    pub fn has_industry(&self, id: i64) -> bool {
        self.industries.iter().any(|c| c.id == id)
    }
    pub fn has_business_type(&self, id: i64) -> bool {
        self.business_types.iter().any(|c| c.id == id)
    }
    pub fn has_category(&self, id: i64) -> bool {
        self.categories.iter().any(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_reference_file_parses_and_categories_name_real_industries() {
        let r = super::get();
        assert!(r.countries.len() > 200);
        assert!(!r.industries.is_empty() && !r.business_types.is_empty());
        assert!(r.categories.iter().all(|c| r.has_industry(c.industry_id)));
    }
}
