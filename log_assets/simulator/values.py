"""Pools of realistic values shared by the generated records of both vendors.

Users come from a small fixed pool (with a few very active ones) so that per-user summaries are
meaningful. Some values carry CSV hazards on purpose: commas, double quotes, newlines, non-ASCII.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY = "acme"
DOMAIN = "acme-corp.example"


@dataclass(frozen=True)
class User:
    first: str
    last: str
    email: str
    group_id: str
    department: str
    device: str
    ip: str
    city: str
    region: str
    region_code: str
    country_code: str
    country: str
    lat: float
    long: float

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def location(self) -> str:
        return f"{self.city}||{self.region}||{self.region_code}||{self.country_code}"


_CITIES = [
    ("San Jose", "California", "CA", "US", "United States", 37.3382, -121.8863),
    ("Austin", "Texas", "TX", "US", "United States", 30.2672, -97.7431),
    ("New York", "New York", "NY", "US", "United States", 40.7128, -74.006),
    ("London", "England", "ENG", "GB", "United Kingdom", 51.5072, -0.1276),
    ("München", "Bavaria", "BY", "DE", "Germany", 48.1351, 11.582),
    ("São Paulo", "São Paulo", "SP", "BR", "Brazil", -23.5505, -46.6333),
    ("Zürich", "Zurich", "ZH", "CH", "Switzerland", 47.3769, 8.5417),
    ("Bengaluru", "Karnataka", "KA", "IN", "India", 12.9716, 77.5946),
    ("Tokyo", "Tokyo", "13", "JP", "Japan", 35.6762, 139.6503),
    ("Lyon", "Auvergne-Rhône-Alpes", "ARA", "FR", "France", 45.764, 4.8357),
]

_PEOPLE = [
    ("Alice", "Nguyen", "Engineering"),
    ("Bob", "Martinez", "Sales"),
    ("Carol", "O'Brien", "Finance"),
    ("David", "Kim", "Engineering"),
    ("Eve", "Schmidt", "Legal"),
    ("Frank", "Okafor", "IT"),
    ("Grace", "Liu", "Engineering"),
    ("Hiro", "Tanaka", "Sales"),
    ("Isabel", "Álvarez", "Marketing"),
    ("Jonas", "Müller", "Finance"),
    ("Karen", "Smith", "HR"),
    ("Luis", "García", "Sales"),
    ("Maya", "Patel", "Engineering"),
    ("Noah", "Johnson", "IT"),
    ("Olga", "Ivanova", "Finance"),
    ("Pierre", "Dubois", "Marketing"),
    ("Quinn", "Taylor", "Legal"),
    ("Rosa", "Silva", "Sales"),
    ("Søren", "Larsen", "Engineering"),
    ("Tom", "Baker", "Executive"),
    ("Uma", "Rao", "Engineering"),
    ("Victor", "Chen", "IT"),
    ("Wendy", "Clark", "HR"),
    ("Zoë", "Fischer", "Marketing"),
]
_DEVICES = ["Windows 10", "Windows 11", "Mac OS X 14.4", "Mac OS X 13.6", "iOS 17.4", "Android 14", "Linux"]


def _ascii(s: str) -> str:
    table = str.maketrans("ÁáÉéÍíÓóÚúÜüÖöÄäØøÇçÃãÑñËë'", "AaEeIiOoUuUuOoAaOoCcAaNnEe ")
    return s.translate(table).replace(" ", "")


def _build_users() -> tuple[User, ...]:
    users = []
    for i, (first, last, dept) in enumerate(_PEOPLE):
        city = _CITIES[(i * 7) % len(_CITIES)]
        users.append(
            User(
                first=first,
                last=last,
                email=f"{_ascii(first).lower()}.{_ascii(last).lower()}@{DOMAIN}",
                group_id=str(355160 + (i % 6) * 17),
                department=dept,
                device=_DEVICES[i % len(_DEVICES)],
                ip=f"10.{20 + i % 5}.{(i * 37) % 250}.{10 + i * 3}",
                city=city[0],
                region=city[1],
                region_code=city[2],
                country_code=city[3],
                country=city[4],
                lat=city[5],
                long=city[6],
            )
        )
    return tuple(users)


USERS = _build_users()
# A few users do most of the work, as in any real tenant.
USER_WEIGHTS = tuple(1.0 / (1 + i) ** 0.8 for i in range(len(USERS)))

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "python-requests/2.31.0",
    "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/UQ1A.240205.004)",
]

# (name, domain, url path, instance suffix)
CLOUD_APPS = [
    ("Office 365", "outlook.office365.com", "/mail/inbox", "Office 365 (acme)"),
    ("Google Drive", "drive.google.com", "/drive/my-drive", "Google Drive (acme.example)"),
    ("Gmail", "mail.google.com", "/mail/u/0/", "Gmail (acme.example)"),
    ("Box", "app.box.com", "/folder/0", "Box (acme)"),
    ("Dropbox", "www.dropbox.com", "/home", "Dropbox Business"),
    ("Salesforce", "acme.my.salesforce.com", "/lightning/page/home", "Salesforce (prod)"),
    ("Slack", "acme.slack.com", "/client/T024BE7LD", "Slack (acme)"),
    ("OneDrive", "acme-my.sharepoint.com", "/personal/documents", "OneDrive for Business"),
    ("SharePoint", "acme.sharepoint.com", "/sites/finance/Shared Documents", "SharePoint Online"),
    ("GitHub", "github.com", "/acme/platform", "GitHub Enterprise"),
    ("Workday", "wd5.myworkday.com", "/acme/d/home.htmld", "Workday"),
    ("Zoom", "acme.zoom.us", "/meeting", "Zoom"),
]
CLOUD_APP_WEIGHTS = (9, 7, 6, 4, 3, 4, 5, 4, 3, 3, 1, 2)
FILE_APPS = ["Google Drive", "OneDrive", "Box", "Dropbox", "SharePoint", "Slack"]

ACTIONS = ["Allowed", "Alert", "Quarantined", "NotifyAdmin", "NotifyOwner", "Blocked"]
ACTION_WEIGHTS = (80, 6, 3, 4, 3, 4)
DLP_ACTIONS = ["Alert", "Quarantined", "NotifyAdmin", "NotifyOwner", "Blocked"]

ACCESS_ACTIVITIES = [
    "Access",
    "Login",
    "Downloaded",
    "Uploaded",
    "Edit",
    "Email",
    "Attachment",
    "Files",
    "Report",
    "Share",
]
ACCESS_ACTIVITY_WEIGHTS = (30, 10, 12, 8, 8, 12, 4, 6, 3, 4)
HTTP_METHODS = ["GET", "GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH"]
RESPONSE_CODES = [200, 200, 200, 200, 200, 204, 302, 304, 401, 403, 404, 500]

DLP_PATTERNS = [
    "Sensitive Keywords (confidential)",
    "US Social Security Number (078-05-1120)",
    "Credit Card Number (4111 1111 1111 1111)",
    "PCI (Visa, MasterCard)",
    'HIPAA (diagnosis, "patient id")',
    "Source Code (private key)",
    "IBAN (DE89 3704 0044 0532 0130 00)",
]

FILE_STEMS = [
    "Q3 forecast",
    "Budget, FY26 (final)",
    "customer-list",
    'Résumé "v2"',
    "architecture diagram",
    "board deck",
    "payroll_2026",
    "contract - Müller GmbH",
    "incident report",
    "roadmap; draft",
    "passwords",
    "design spec",
    "Übersicht Vertrieb",
    "offer letter",
    "meeting notes",
]
FILE_EXTS = ["xlsx", "docx", "pdf", "pptx", "csv", "txt", "zip", "py", "png"]
DOC_TYPES = {
    "xlsx": "Microsoft Excel",
    "docx": "Microsoft Word",
    "pdf": "PDF",
    "pptx": "Microsoft PowerPoint",
    "csv": "Text",
    "txt": "Text",
    "zip": "Archive",
    "py": "Source code",
    "png": "Image",
}
FOLDERS = ["/", "/Shared", "/Finance/2026", "/Engineering/Specs", "/HR/Confidential", "/Sales, EMEA", "/Personal"]
FILE_STATUSES = ["Private", "Public", "Internal", "External", "DLP", "Renamed", "Moved"]
CLASSIFY_LABELS = ["", "", "Confidential", "Internal Only", "Public", "Restricted"]

EMAIL_SUBJECTS = [
    "Weekly sync",
    "Re: Q3 numbers, draft",
    'FW: "Urgent" invoice #4411',
    "Lunch?",
    "Contract for review\nplease sign by Friday",
    "Café meeting notes",
    "Offsite agenda; final",
    "Customer escalation – ACME-1234",
]
PAGE_TITLES = {
    "Office 365": "Inbox - Outlook",
    "Google Drive": "My Drive - Google Drive",
    "Gmail": "Inbox (3) - Gmail",
    "Box": "Files - Box",
    "Dropbox": "Home - Dropbox",
    "Salesforce": 'Dashboard, "Sales" view | Salesforce',
    "Slack": "Slack | general",
    "OneDrive": "My files - OneDrive",
    "SharePoint": "Finance – Shared Documents",
    "GitHub": "acme/platform: Pull requests",
    "Workday": "Workday – Home",
    "Zoom": "Zoom Meeting",
}

ADMIN_ACTIVITIES = [
    ("Login", "POST /admin/login"),
    ("Logout", "POST /admin/logout"),
    ("Policy Change", "PUT /admin/policies/1042"),
    ("User Added", "POST /admin/users"),
    ("Report Export", "GET /admin/reports/export?format=csv"),
    ("Settings Change", "PUT /admin/settings/api"),
    ("Group Edit", "PATCH /admin/groups/355160"),
]

CLOUD_AUDIT_ACTIVITIES = ["Scan", "Upload", "Share", "Edit", "Download", "Delete", "Rename", "Move", "Create copy"]

WEB_SITES = [
    # domain, bg category, web category class, reputation, bg cloud score
    ("www.google.com", "Search Engines", "Productivity", "Trustworthy", 88),
    ("github.com", "Software Development", "Productivity", "Trustworthy", 92),
    ("www.linkedin.com", "Social Networking", "Social", "Trustworthy", 80),
    ("news.ycombinator.com", "News", "General", "Low Risk", 70),
    ("pastebin.com", "File Sharing", "Risky", "Moderate Risk", 35),
    ("wetransfer.com", "File Sharing", "Risky", "Low Risk", 55),
    ("www.nytimes.com", "News", "General", "Trustworthy", 77),
    ("cdn.jsdelivr.net", "Content Delivery Networks", "Infrastructure", "Trustworthy", 81),
    ("mega.nz", "File Sharing", "Risky", "High Risk", 22),
    ("chat.openai.example", "Generative AI", "Productivity", "Low Risk", 60),
    ("www.amazon.com", "Shopping", "General", "Trustworthy", 84),
    ("login.microsoftonline.com", "Business", "Productivity", "Trustworthy", 95),
]
CUSTOM_CATEGORIES = ["[]", "[]", '["Purple"]', '["Allowed Vendors"]', '["Purple", "Watchlist"]']
CUSTOM_LOCATIONS = ["HQ", "Remote", "Branch - Lyon", "Branch, Austin", "VPN"]
GATEWAYS = ["34.82.11.200", "35.186.4.17", "20.51.7.93", "52.31.140.8"]
PROTOCOLS = ["https", "https", "https", "http", "ftp"]

HEALTH_STATUSES = ["OK", "OK", "OK", "Degraded", "Error"]
HEALTH_DETAILS = [
    "",
    "",
    "Upstream responded slowly",
    "Timeout contacting backend, retrying",
    'TLS handshake failed: "certificate expired"',
    "Rate limited by provider\nretry-after: 30",
    "Connexion réinitialisée par le pair",
]
HEALTH_COMPONENTS = ["proxy", "api-connector", "directory-sync", "log-export", "smartedge-gateway", "reporting"]
HEALTH_REGIONS = ["us-west", "us-east", "eu-central", "eu-west", "ap-south"]
API_ENDPOINTS = [
    "/v1.0/me/drive/root/delta",
    "/drive/v3/changes",
    "/2.0/events",
    "/services/data/v59.0/query",
    "/api/conversations.history",
    "/files/list_folder/continue",
]

ZTNA_APPS = ["Jira (private)", "Jenkins", "HR Portal", "Git server", "Finance ERP", "Grafana"]
ZTNA_CONNECTORS = ["dc1-connector-a", "dc1-connector-b", "aws-us-east-1", "azure-westeurope"]
ZTNA_ACTIVITIES = ["Connect", "Disconnect", "Access", "Denied"]

# Free-text `details` of real access records.
ACCESS_DETAILS = [
    "",
    "",
    "",
    "User challenged with Multi-Factor Authentication.",
    "Session started from a managed device.",
    "File download blocked by policy: Confidential, external share",
]
# Web categories as real swgweb records send them (a JSON array inside a string).
WEB_CATEGORIES = ['["WR:Search Engines"]', '["WR:Business"]', '["WR:Gambling"]', '["WR:Social Networking"]', "[]"]
DEVICE_HOSTNAMES = ["LAPTOP-7Q2M1", "MBP-ANNA", "DESKTOP-0042", "ip-10-0-4-17"]
# Health signals as real records name them.
PROXY_HEALTH_ACTIVITIES = ["Server4xx", "Server4xx", "Server5xx"]
SYSTEM_HEALTH_ACTIVITIES = ["Bitglass4xx, RestAPI", "Bitglass5xx, RestAPI", "Bitglass4xx, Proxy"]
