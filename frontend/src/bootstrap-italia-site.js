/*
 * The Bootstrap Italia 2.18.3 JavaScript our templates use, instead of the whole 297 KB (gzipped)
 * bundle. Built by `npm run build` in this folder (see README.md here and
 * static/vendor/bootstrap-italia/README.md); the output, static/js/bootstrap-italia-site.min.js,
 * is committed and loaded with `defer` by templates/base.html.
 *
 * Every import is the package's own unmodified ES module from `dist/plugins/`. A template that
 * starts using another component (`data-bs-toggle="collapse"`, a dropdown, an accordion…) adds its
 * plugin here and rebuilds; `grep -rn 'data-bs-' templates` lists what is in use.
 */

// Sets window.BOOTSTRAP_ITALIA_VERSION (read by the Italian public-site checkers) from the
// package's own version module, and starts TrackFocus (the `data-focus-mouse` attribute that
// tells keyboard focus from mouse focus).
import init from 'bootstrap-italia/dist/plugins/init.js'
// The header's main menu on narrow screens: `data-bs-toggle="navbarcollapsible"`.
import NavBarCollapsible from 'bootstrap-italia/dist/plugins/navbar-collapsible.js'

init()

// The same global name as the full bundle (`bootstrap`), holding only what is built in.
export { NavBarCollapsible }
