//! What `templates/layout.html` shows around every page: the title, the header (who is logged in,
//! the dashboard's mode, a log-out button), the flash message, and which area's sidebar is
//! drawn with which item marked current. Every page template has a `layout: Layout` field.
use super::Ctx;
use payplane_app::pazemo::logins::Dashboard;

pub struct Layout {
    pub title: String,
    /// The CSRF token for the header's log-out form and the sidebar's forms.
    pub csrf: String,
    pub flash: Option<String>,
    /// The area whose sidebar is drawn: `dashboard`, `operator`, `console`, or empty.
    pub area: &'static str,
    /// The sidebar item of this page.
    pub nav: &'static str,
    /// Who is logged in, as the header shows them.
    pub user: Option<String>,
    /// The dashboard's mode (`test` or `live`), shown as a badge.
    pub mode: Option<&'static str>,
    /// Whether the user may see the operator pages.
    pub admin: bool,
    /// Where the header's log-out button posts.
    pub logout: &'static str,
}

impl Layout {
    /// A page for anyone (landing, login, errors).
    pub fn public(csrf: &str, flash: Option<String>, title: &str) -> Layout {
        Layout {
            title: title.into(),
            csrf: csrf.into(),
            flash,
            area: "",
            nav: "",
            user: None,
            mode: None,
            admin: false,
            logout: "",
        }
    }

    /// A page for anyone, from the request's context.
    pub fn anonymous(ctx: Ctx, title: &str) -> Layout {
        Layout::public(&ctx.csrf, ctx.flash, title)
    }

    /// A dashboard page of the logged-in user; `nav` marks its sidebar item.
    pub fn dashboard(ctx: Ctx, d: &Dashboard, nav: &'static str, title: &str) -> Layout {
        Layout {
            title: title.into(),
            csrf: ctx.csrf,
            flash: ctx.flash,
            area: "dashboard",
            nav,
            user: Some(d.user.email.clone()),
            mode: Some(d.mode().as_str()),
            admin: d.principal.admin,
            logout: "/dashboard/logout",
        }
    }

    /// An operator page.
    pub fn operator(ctx: Ctx, d: &Dashboard, nav: &'static str, title: &str) -> Layout {
        Layout {
            area: "operator",
            mode: None,
            ..Layout::dashboard(ctx, d, nav, title)
        }
    }

    /// A Business Console page of the logged-in business; `nav` marks its sidebar item.
    pub fn console(
        ctx: Ctx,
        s: &super::console::session::BusinessSession,
        nav: &'static str,
        title: &str,
    ) -> Layout {
        Layout {
            title: title.into(),
            csrf: ctx.csrf,
            flash: ctx.flash,
            area: "console",
            nav,
            user: Some(s.business.company_name.clone()),
            mode: None,
            admin: false,
            logout: "/console/logout",
        }
    }
}
