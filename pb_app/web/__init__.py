"""What every page shares, whichever domain renders it: the GOV.UK layout and its form helpers
(``layout``), the charts drawn for pages and PDFs (``charts``) and the security headers of
every response (``security_headers``)."""
