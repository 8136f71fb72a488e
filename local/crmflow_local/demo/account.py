"""The demo account, built through the API: settings, teams and users, pipelines, companies, contacts,
deals and a ticket backlog, with seeded, realistic values (names, job titles, cities, owners)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, fields
from typing import Any

from crmflow_local.demo.api import association, call, create_many
from crmflow_local.runtime import Runtime


# ---------------------------------------------------------------- the size of the account
@dataclass(frozen=True)
class Size:
    """How much there is: the account at the start, and what happens on a weekday (a weekend day
    has about a third of it). ``scaled`` multiplies every number."""

    companies: int = 200
    contacts: int = 1200
    deals: int = 70
    tickets: int = 40
    new_leads: float = 3.0  # contacts imported as leads (the nurture enrolls them)
    webinar_signups: float = 2.0  # webinar attendees imported as MQLs (routed to sales)
    newsletter_signups: float = 3.0  # new subscribers (they get the default stage, LC-1)
    new_companies: float = 1.0
    promotions: float = 2.0  # leads a marketer marks MQL
    qualified: float = 1.0  # MQLs sales accepts (SQL)
    new_deals: float = 2.0
    deal_moves: float = 3.0
    deals_won: float = 0.8
    deals_lost: float = 0.5
    new_tickets: float = 4.0
    ticket_moves: float = 5.0
    outreach: float = 4.0  # emails, calls, meetings logged on contacts with open leads
    disqualified: float = 0.4

    def scaled(self, scale: float) -> Size:
        values: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            values[item.name] = max(1, round(value * scale)) if isinstance(value, int) else value * scale
        return Size(**values)


# ---------------------------------------------------------------- seeded values
FIRST_NAMES = [
    "Ingrid", "Ola", "Kari", "Lars", "Sofie", "Emil", "Nora", "Jonas", "Maja", "Henrik", "Astrid", "Erik",
    "Freya", "Magnus", "Linnea", "Oskar", "Elin", "Anders", "Sara", "Mikkel", "Ida", "Johan", "Aino",
    "Mateo", "Chloe", "Liam", "Amira", "Noah", "Priya", "Lukas", "Zofia", "Hugo", "Clara", "Felix",
    "Yasmin", "Leon", "Mia", "Theo", "Hanna", "Omar",
]  # fmt: skip
LAST_NAMES = [
    "Hansen", "Nordmann", "Berg", "Johansen", "Larsen", "Olsen", "Pedersen", "Nilsen", "Andersson",
    "Lindqvist", "Nielsen", "Virtanen", "Korhonen", "Schmidt", "Müller", "de Vries", "Jansen", "Smith",
    "Murphy", "Dubois", "Novak", "Rossi", "Garcia", "Khan", "Haugen", "Bakke", "Dahl", "Eriksen",
    "Holm", "Lund",
]  # fmt: skip
JOB_TITLES = [
    "Marketing Manager", "Head of Sales", "Chief Technology Officer", "Software Engineer",
    "Operations Director", "Account Executive", "Product Manager", "Data Analyst", "Chief Financial Officer",
    "VP Marketing", "Customer Success Manager", "Founder", "IT Administrator", "Sales Representative",
    "Marketing Coordinator", "Head of Customer Support", "Business Analyst", "Office Manager",
    "Developer", "Procurement Specialist",
]  # fmt: skip
CITIES = [
    ("Oslo", "Norway"), ("Bergen", "Norway"), ("Trondheim", "Norway"), ("Stavanger", "Norway"),
    ("Stockholm", "Sweden"), ("Gothenburg", "Sweden"), ("Copenhagen", "Denmark"), ("Aarhus", "Denmark"),
    ("Helsinki", "Finland"), ("Berlin", "Germany"), ("Hamburg", "Germany"), ("Amsterdam", "Netherlands"),
    ("London", "United Kingdom"), ("Manchester", "United Kingdom"), ("Dublin", "Ireland"),
    ("Paris", "France"),
]  # fmt: skip
NORDICS = ["Norway", "Sweden", "Denmark", "Finland"]
NAME_PARTS = [
    "Fjord", "Nordlys", "Polar", "Birch", "Granite", "Harbor", "Aurora", "Lumen", "Vista", "Summit",
    "Cobalt", "Saga", "Tundra", "Glacier", "Meridian", "Beacon", "Alder", "Falcon", "Coral", "Ember",
    "Juniper", "Solstice", "Pine", "Quartz", "Driftwood",
]  # fmt: skip
NAME_KINDS = [
    ("Analytics", "COMPUTER_SOFTWARE"), ("Energy", "UTILITIES"), ("Logistics", "LOGISTICS_AND_SUPPLY_CHAIN"),
    ("Bikes", "RETAIL"), ("Health", "HOSPITAL_HEALTH_CARE"), ("Software", "COMPUTER_SOFTWARE"),
    ("Foods", "FOOD_BEVERAGES"), ("Capital", "FINANCIAL_SERVICES"), ("Robotics", "MACHINERY"),
    ("Design", "DESIGN"), ("Labs", "BIOTECHNOLOGY"), ("Systems", "INFORMATION_TECHNOLOGY_AND_SERVICES"),
    ("Travel", "LEISURE_TRAVEL_TOURISM"), ("Studio", "MARKETING_AND_ADVERTISING"), ("Marine", "MARITIME"),
    ("Build", "CONSTRUCTION"),
]  # fmt: skip
CONTACT_STAGES = [
    ("subscriber", 30), ("lead", 30), ("marketingqualifiedlead", 9), ("salesqualifiedlead", 5),
    ("opportunity", 8), ("customer", 16), ("evangelist", 2),
]  # fmt: skip
COMPANY_STAGES = [(None, 30), ("lead", 40), ("opportunity", 10), ("customer", 20)]
OPEN_DEAL_STAGES = [
    "appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin",
    "contractsent",
]  # fmt: skip
PRODUCTS = [("Starter", 6000), ("Growth", 24000), ("Enterprise", 90000), ("Support add-on", 4000)]
SUPPORT_SUBJECTS = [
    "Cannot log in", "Export to CSV times out", "Add a second admin", "Webhook retries twice",
    "Dashboard is empty after upgrade", "Import stuck at 90 %", "SSO setup with Azure AD",
    "Emails land in spam", "API returns 429", "Report shows last month's numbers",
]  # fmt: skip
BILLING_SUBJECTS = [
    "Invoice shows the wrong VAT", "Change the billing address", "Refund a double charge",
    "Move to annual billing", "Card declined at renewal", "Need a purchase order number on invoices",
]  # fmt: skip

LIFECYCLE = {
    "defaultStageOnCreate": "subscriber",
    "stageOnDealCreated": "opportunity",
    "stageOnDealWon": "customer",
    "syncCompanyToContacts": True,
}
LEAD_AUTOMATION = {
    "createLeadOnLifecycleStage": {
        "enabled": True,
        "stages": ["marketingqualifiedlead", "salesqualifiedlead"],
    },
    "followUpOnDisqualification": {"enabled": True, "leadType": "RE_ATTEMPTING", "reasons": ["BAD_TIMING"]},
    "moveOnOutreach": {
        "enabled": True,
        "from": "new",
        "to": "attempting",
        "events": ["EMAIL_SENT", "LINKEDIN_MESSAGE", "CALL_LOGGED", "MEETING_BOOKED"],
    },
    "moveOnConnect": {
        "enabled": True,
        "from": "attempting",
        "to": "connected",
        "events": ["EMAIL_REPLY", "MEETING_COMPLETED", "CALL_CONNECTED"],
    },
}
TEAMS = {
    "Sales Nordics": [("ingrid.hansen", "ALL"), ("lars.berg", "ALL"), ("sofie.dahl", "ALL")],
    "Sales International": [("liam.murphy", "ALL"), ("chloe.dubois", "ALL"), ("lukas.schmidt", "ALL")],
    "Support": [
        ("siri.holm", "TEAM_ONLY"), ("arne.lund", "TEAM_ONLY"), ("maja.bakke", "TEAM_ONLY"),
        ("noah.khan", "ALL"),
    ],
    "Billing": [("ivar.eriksen", "TEAM_ONLY"), ("zofia.novak", "TEAM_ONLY")],
}  # fmt: skip
SENIOR_SUPPORT = ["maja.bakke", "noah.khan"]  # escalated tickets go to them
USER_DOMAIN = "auroracloud.example"
PIPELINES: dict[str, dict[str, Any]] = {
    "support": {
        "label": "Customer support",
        "stages": [
            ("New", "OPEN", []),
            ("Waiting on us", "OPEN", []),
            ("Waiting on customer", "OPEN", []),
            ("Escalated", "OPEN", ["hs_ticket_priority"]),
            ("Solved", "CLOSED", []),
        ],
    },
    "billing": {
        "label": "Billing",
        "stages": [("New", "OPEN", []), ("In progress", "OPEN", []), ("Closed", "CLOSED", [])],
    },
}
TEAM_OF = {"support": "Support", "billing": "Billing"}
EMAILS = {
    "welcome": "Welcome to Aurora Cloud",
    "leaders": "The ROI guide for leaders",
    "practitioners": "Getting started: your first automation",
    "demo": "Book a 20-minute demo",
}


def weighted(rnd: random.Random, choices: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*choices, strict=True)
    return rnd.choices(values, weights=weights)[0]


# ---------------------------------------------------------------- what was built
@dataclass
class Account:
    """The ids the demo needs later, all from API answers."""

    teams: dict[str, str] = field(default_factory=dict)  # team name -> id
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # login -> user
    emails: dict[str, str] = field(default_factory=dict)  # key -> marketing email id
    pipelines: dict[str, str] = field(default_factory=dict)  # key -> ticket pipeline id
    stages: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> label -> stage id
    companies: list[dict[str, Any]] = field(default_factory=list)  # {"id", "name", "domain", "country"}
    contacts: int = 0
    deals: int = 0
    tickets: int = 0
    used_emails: set[str] = field(default_factory=set)

    def team_members(self, team: str) -> list[str]:
        return [u["id"] for u in self.users.values() if self.teams[team] in u["teamIds"]]

    def owner_for(self, rnd: random.Random, country: str) -> str:
        return rnd.choice(self.team_members("Sales Nordics" if country in NORDICS else "Sales International"))


@dataclass
class Pools:
    """The ids the demo made, by what it made them as (the API says what they are now)."""

    contacts: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)  # contacts made leads; the newest at the end
    mqls: list[str] = field(default_factory=list)  # contacts made MQLs (sales may accept them)
    prospects: list[str] = field(default_factory=list)  # contacts that got a lead (MQL or SQL in the run)
    buyers: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (contact, its company)
    company_of: dict[str, dict[str, Any]] = field(default_factory=dict)  # contact -> its primary company
    deals: list[str] = field(default_factory=list)
    tickets: dict[str, list[str]] = field(default_factory=lambda: {"support": [], "billing": []})
    closed_tickets: set[str] = field(default_factory=set)  # tickets the demo solved or closed


class People:
    """Seeded people and companies: names, job titles, cities, unique email addresses."""

    def __init__(self, rnd: random.Random, account: Account) -> None:
        self.rnd = rnd
        self.account = account
        self._company_names: set[str] = {c["name"] for c in account.companies}

    def company(self) -> dict[str, str]:
        rnd = self.rnd
        for _ in range(1000):
            part, (kind, industry) = rnd.choice(NAME_PARTS), rnd.choice(NAME_KINDS)
            name = f"{part} {kind}"
            if name in self._company_names:
                name = f"{part} {kind} {rnd.choice(CITIES)[0]}"
            if name not in self._company_names:
                break
        self._company_names.add(name)
        city, country = rnd.choice(CITIES)
        return {
            "name": name,
            "domain": name.lower().replace(" ", "") + ".example",
            "industry": industry,
            "city": city,
            "country": country,
            "numberofemployees": str(rnd.choice([8, 15, 40, 120, 350, 900, 2500])),
        }

    def name(self) -> tuple[str, str]:
        return self.rnd.choice(FIRST_NAMES), self.rnd.choice(LAST_NAMES)

    def email_for(self, first: str, last: str, domain: str) -> str:
        base = f"{first}.{last}".lower().replace(" ", "").replace("ü", "u")
        address, n = f"{base}@{domain}", 1
        while address in self.account.used_emails:
            n += 1
            address = f"{base}{n}@{domain}"
        self.account.used_emails.add(address)
        return address

    def contact(self, company: dict[str, Any] | None, stage: str | None) -> dict[str, str]:
        rnd = self.rnd
        first, last = self.name()
        city, country = (company["city"], company["country"]) if company else rnd.choice(CITIES)
        domain = company["domain"] if company else rnd.choice(["mail.example", "inbox.example"])
        props = {
            "firstname": first,
            "lastname": last,
            "email": self.email_for(first, last, domain),
            "jobtitle": rnd.choice(JOB_TITLES),
            "city": city,
            "country": country,
            "phone": f"+47 {rnd.randint(400, 999)} {rnd.randint(10, 99)} {rnd.randint(100, 999)}",
        }
        if company:
            props["company"] = company["name"]
        if stage:
            props["lifecyclestage"] = stage
        if stage in ("salesqualifiedlead", "opportunity", "customer", "evangelist"):
            props["hubspot_owner_id"] = self.account.owner_for(rnd, country)
        return props


# ---------------------------------------------------------------- building it
def automate(rt: Runtime) -> None:
    """Lifecycle and lead automation on (the account was imported before)."""
    call(rt, "PUT", "/settings/lifecycle", LIFECYCLE)
    call(rt, "PUT", "/settings/lead-automation", LEAD_AUTOMATION)


def configure(rt: Runtime, account: Account) -> None:
    """Properties, teams and users, emails, forms and the two ticket pipelines."""
    for object_type, name, label in [
        ("contacts", "nurture_track", "Nurture track"),
        ("deals", "billing_account_id", "Billing account id"),
        ("deals", "billing_tier", "Billing tier"),
    ]:
        call(
            rt, "POST", f"/crm/v3/properties/{object_type}", {"name": name, "label": label, "type": "string"}
        )
    for team, members in TEAMS.items():
        account.teams[team] = call(rt, "POST", "/settings/teams", {"name": team})["id"]
        for login, access in members:
            body = {
                "email": f"{login}@{USER_DOMAIN}",
                "teamIds": [account.teams[team]],
                "permissions": {"tickets": {"access": access, "unassigned": True}},
            }
            account.users[login] = call(rt, "POST", "/settings/users", body)
    for key, subject in EMAILS.items():
        body = {"name": subject, "subject": subject, "state": "AUTOMATED"}
        account.emails[key] = call(rt, "POST", "/marketing/v3/emails", body)["id"]
    for order, (key, spec) in enumerate(PIPELINES.items(), start=1):
        stages = [
            {
                "label": label,
                "displayOrder": i,
                "metadata": {"ticketState": state},
                "requiredProperties": required,
            }
            for i, (label, state, required) in enumerate(spec["stages"])
        ]
        created = {"label": spec["label"], "displayOrder": order, "stages": stages}
        pipeline = call(rt, "POST", "/crm/v3/pipelines/tickets", created)
        account.pipelines[key] = pipeline["id"]
        account.stages[key] = {s["label"]: s["id"] for s in pipeline["stages"]}


def load(rt: Runtime, account: Account, size: Size, rnd: random.Random) -> Pools:
    """Companies, contacts (each with its primary company), deals and a ticket backlog, in batches."""
    people, pools = People(rnd, account), Pools()
    companies = []
    for _ in range(size.companies):
        props = people.company()
        stage = weighted(rnd, COMPANY_STAGES)
        companies.append({**props, **({"lifecyclestage": stage} if stage else {})})
    for props in companies:
        props["hubspot_owner_id"] = account.owner_for(rnd, props["country"])
    created = create_many(rt, "companies", [{"properties": p} for p in companies])
    account.companies = [
        {
            "id": record["id"],
            **{k: props.get(k) for k in ("name", "domain", "city", "country", "lifecyclestage")},
        }
        for record, props in zip(created, companies, strict=True)
    ]
    rt.settle()
    inputs: list[dict[str, Any]] = []
    employers: list[dict[str, Any] | None] = []
    for _ in range(size.contacts):
        company = rnd.choice(account.companies) if rnd.random() < 0.92 else None
        props = people.contact(company, weighted(rnd, CONTACT_STAGES))
        links = [association(company["id"], 1)] if company else []
        inputs.append({"properties": props, "associations": links})
        employers.append(company)
    made = [r["id"] for r in create_many(rt, "contacts", inputs)]
    account.contacts = len(made)
    buyers: list[tuple[str, dict[str, Any], str | None]] = []  # (contact, company, owner)
    for contact_id, item, company in zip(made, inputs, employers, strict=True):
        stage = item["properties"]["lifecyclestage"]
        pools.contacts.append(contact_id)
        if stage == "lead":
            pools.leads.append(contact_id)
        elif stage == "marketingqualifiedlead":
            pools.mqls.append(contact_id)
        if company is None:
            continue
        pools.company_of[contact_id] = company
        if stage in ("marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"):
            pools.buyers.append((contact_id, company))
        if stage in ("salesqualifiedlead", "opportunity", "customer"):
            buyers.append((contact_id, company, item["properties"].get("hubspot_owner_id")))
    rt.settle()
    # deals for contacts sales works with; the company is the deal's primary company
    deals = [
        deal_input(rnd, contact_id, company, owner, new=False)
        for contact_id, company, owner in rnd.sample(buyers, min(size.deals, len(buyers)))
    ]
    pools.deals = [r["id"] for r in create_many(rt, "deals", deals)]
    account.deals = len(pools.deals)
    rt.settle()
    backlog, keys = [], []
    for contact_id in rnd.sample(made, size.tickets):
        key = "support" if rnd.random() < 0.7 else "billing"
        stage = rnd.choice(["New", "Waiting on us", "Waiting on customer"] if key == "support" else ["New"])
        props = ticket_properties(rnd, account, key, stage_label=stage)
        props["hubspot_owner_id"] = rnd.choice(account.team_members(TEAM_OF[key]))
        backlog.append({"properties": props, "associations": [association(contact_id, 16)]})
        keys.append(key)
    for key, ticket in zip(keys, create_many(rt, "tickets", backlog), strict=True):
        pools.tickets[key].append(ticket["id"])
    account.tickets = len(backlog)
    rt.settle()
    return pools


def deal_input(
    rnd: random.Random, contact_id: str, company: dict[str, Any], owner: str | None, *, new: bool = True
) -> dict[str, Any]:
    """A deal of the contact and its (primary) company: a new one in the first stage, an older one
    in any open stage."""
    product, base = rnd.choice(PRODUCTS)
    stages = list(zip(OPEN_DEAL_STAGES, [5, 4, 3, 2, 1], strict=True))
    props = {
        "dealname": f"{company['name']} - {product}",
        "amount": str(round(base * rnd.uniform(0.6, 1.8), -2)),
        "dealstage": OPEN_DEAL_STAGES[0] if new else weighted(rnd, stages),
        "dealtype": rnd.choice(["newbusiness", "existingbusiness"]),
    }
    if owner:
        props["hubspot_owner_id"] = owner
    return {"properties": props, "associations": [association(contact_id, 3), association(company["id"], 5)]}


def ticket_properties(
    rnd: random.Random, account: Account, key: str, stage_label: str = "New"
) -> dict[str, str]:
    subject = rnd.choice(SUPPORT_SUBJECTS if key == "support" else BILLING_SUBJECTS)
    return {
        "subject": subject,
        "content": f"{subject}: reported by the customer",
        "hs_pipeline": account.pipelines[key],
        "hs_pipeline_stage": account.stages[key][stage_label],
        "hs_ticket_priority": rnd.choice(["LOW", "MEDIUM", "MEDIUM"]),
        "source_type": rnd.choice(["EMAIL", "CHAT", "FORM"]),
    }
