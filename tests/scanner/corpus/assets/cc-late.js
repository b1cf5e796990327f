// vanilla-cookieconsent 3 on a slow site: cc-setup.js (loaded after this) builds its consent
// modal when it runs (#cc-main is in the page) and shows it three seconds later, with no
// request in between, so the network has long been quiet when the banner appears.
window.ccShowAfterMs = 3000;
