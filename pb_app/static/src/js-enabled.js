// Mark the page as scripted before anything is drawn, as GOV.UK Frontend expects: loaded as a
// classic script at the top of <body> (the Content Security Policy allows no inline script).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
