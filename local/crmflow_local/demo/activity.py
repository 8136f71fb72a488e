"""A day in the account: what marketing, sales and support do, through the API (batch endpoints where
they exist). Candidates are picked from the demo's own lists of ids and checked against the API
(``batch/read``) before anything is changed, since automation moves records too."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from crmflow_local.demo.account import (
    OPEN_DEAL_STAGES,
    Account,
    People,
    Pools,
    Size,
    deal_input,
    ticket_properties,
)
from crmflow_local.demo.api import association, call, create_many, read_many, update_many
from crmflow_local.runtime import Runtime

_ACTIVITY_TO_CONTACT = {"emails": 198, "calls": 194, "meetings": 200}


class Day:
    """The activity of one simulated day: :meth:`morning` and :meth:`afternoon`."""

    def __init__(self, rt: Runtime, account: Account, size: Size, rnd: random.Random, pools: Pools) -> None:
        self.rt = rt
        self.account = account
        self.size = size
        self.rnd = rnd
        self.pools = pools
        self.people = People(rnd, account)
        self.factor = 1.0

    # ------------------------------------------------------------ helpers
    def n(self, per_weekday: float) -> int:
        """How many today: the weekday figure (a third on weekends and holidays), rounded at random."""
        expected = per_weekday * self.factor
        whole = int(expected)
        return whole + (1 if self.rnd.random() < expected - whole else 0)

    def start_day(self, local_day: datetime, holidays: list[str]) -> None:
        quiet = local_day.weekday() >= 5 or local_day.strftime("%Y-%m-%d") in holidays
        self.factor = 0.3 if quiet else 1.0

    def current(self, object_type: str, ids: list[str], names: list[str]) -> dict[str, dict[str, str]]:
        return read_many(self.rt, object_type, ids, names)

    def pick(self, object_type: str, pool: list[str], name: str, wanted: list[str], k: int) -> list[str]:
        """Up to ``k`` ids of ``pool`` whose ``name`` is now one of ``wanted`` (the newest first, half
        the time)."""
        if k <= 0 or not pool:
            return []
        sample = self.rnd.sample(pool, min(len(pool), 4 * k))
        if self.rnd.random() < 0.5:
            sample = pool[-4 * k :][::-1] + sample
        values = self.current(object_type, list(dict.fromkeys(sample)), [name])
        return [i for i in dict.fromkeys(sample) if values.get(i, {}).get(name) in wanted][:k]

    def company(self) -> dict[str, Any]:
        """A company for a new contact, one that was no further than lead when it was made (the newest,
        now and then)."""
        companies = [
            c for c in self.account.companies if c.get("lifecyclestage") in (None, "subscriber", "lead")
        ]
        return self.rnd.choice(companies[-40:] if self.rnd.random() < 0.3 else companies)

    # ------------------------------------------------------------ the morning
    def morning(self) -> None:
        rt, size, rnd, pools = self.rt, self.size, self.rnd, self.pools
        # new companies, and people imported as leads (the nurture takes them)
        fresh = [self.people.company() for _ in range(self.n(size.new_companies))]
        for props, record in zip(
            fresh, create_many(rt, "companies", [{"properties": p} for p in fresh]), strict=True
        ):
            self.account.companies.append(
                {
                    "id": record["id"],
                    **{k: props.get(k) for k in ("name", "domain", "city", "country", "lifecyclestage")},
                }
            )
        imports, employers = [], []
        for _ in range(self.n(size.new_leads)):
            employers.append(self.company())
            props = self.people.contact(employers[-1], "lead")
            imports.append({"properties": props, "associations": [association(employers[-1]["id"], 1)]})
        for record, employer in zip(create_many(rt, "contacts", imports), employers, strict=True):
            pools.leads.append(record["id"])
            pools.contacts.append(record["id"])
            pools.company_of[record["id"]] = employer
        # the newsletter: new subscribers get the default stage (LC-1)
        signups = [
            {"properties": self.people.contact(None, None)} for _ in range(self.n(size.newsletter_signups))
        ]
        pools.contacts += [r["id"] for r in create_many(rt, "contacts", signups)]
        # webinar attendees, imported as MQLs (LD-1 gives each a lead; the routing takes them)
        attendees: list[dict[str, Any]] = []
        their_companies: list[dict[str, Any] | None] = []
        for _ in range(self.n(size.webinar_signups)):
            company = self.company() if rnd.random() < 0.6 else None
            props = self.people.contact(company, "marketingqualifiedlead")
            links = [association(company["id"], 1)] if company else []
            attendees.append({"properties": props, "associations": links})
            their_companies.append(company)
        for record, their in zip(create_many(rt, "contacts", attendees), their_companies, strict=True):
            pools.prospects.append(record["id"])
            pools.mqls.append(record["id"])
            pools.contacts.append(record["id"])
            if their:
                pools.company_of[record["id"]] = their
        # marketing marks engaged leads MQL; sales accepts some MQLs (SQL)
        promoted = self.pick("contacts", pools.leads, "lifecyclestage", ["lead"], self.n(size.promotions))
        update_many(rt, "contacts", [(i, {"lifecyclestage": "marketingqualifiedlead"}) for i in promoted])
        pools.prospects += promoted
        pools.mqls += promoted
        accepted = self.pick(
            "contacts", pools.mqls, "lifecyclestage", ["marketingqualifiedlead"], self.n(size.qualified)
        )
        update_many(rt, "contacts", [(i, {"lifecyclestage": "salesqualifiedlead"}) for i in accepted])
        pools.buyers += [(i, pools.company_of[i]) for i in accepted if i in pools.company_of]
        pools.prospects += [i for i in accepted if i not in pools.prospects[-100:]]
        self.deals()
        self.tickets_created()
        self.outreach()
        self.answer_tickets()

    def deals(self) -> None:
        rt, size, rnd, pools = self.rt, self.size, self.rnd, self.pools
        buyers = [b for b in pools.buyers if b[1]]
        new = []
        for contact_id, company in rnd.sample(buyers, min(len(buyers), self.n(size.new_deals))):
            owner = self.current("contacts", [contact_id], ["hubspot_owner_id"]).get(contact_id, {})
            new.append(deal_input(rnd, contact_id, company, owner.get("hubspot_owner_id")))
        pools.deals += [r["id"] for r in create_many(rt, "deals", new)]
        wanted = self.n(size.deals_won) + self.n(size.deals_lost) + self.n(size.deal_moves)
        sample = rnd.sample(pools.deals, min(len(pools.deals), 5 * wanted))
        stages = self.current("deals", sample, ["dealstage"]) if sample else {}
        open_deals = [i for i, p in stages.items() if p.get("dealstage") in OPEN_DEAL_STAGES]
        rnd.shuffle(open_deals)
        changes: dict[str, str] = {}
        late = [i for i in open_deals if stages[i]["dealstage"] in OPEN_DEAL_STAGES[3:]]
        for deal in late[: self.n(size.deals_won)]:
            changes[deal] = "closedwon"
        for deal in [d for d in open_deals if d not in changes][: self.n(size.deals_lost)]:
            changes[deal] = "closedlost"
        for deal in [d for d in open_deals if d not in changes][: self.n(size.deal_moves)]:
            at = OPEN_DEAL_STAGES.index(stages[deal]["dealstage"])
            changes[deal] = OPEN_DEAL_STAGES[min(at + 1, len(OPEN_DEAL_STAGES) - 1)]
        update_many(rt, "deals", [(i, {"dealstage": stage}) for i, stage in changes.items()])

    def tickets_created(self) -> None:
        rnd = self.rnd
        new, keys = [], []
        for _ in range(self.n(self.size.new_tickets)):
            key = "support" if rnd.random() < 0.7 else "billing"
            contact = rnd.choice(self.pools.contacts)
            new.append(
                {
                    "properties": ticket_properties(rnd, self.account, key),
                    "associations": [association(contact, 16)],
                }
            )
            keys.append(key)
        for key, record in zip(keys, create_many(self.rt, "tickets", new), strict=True):
            self.pools.tickets[key].append(record["id"])

    def outreach(self) -> None:
        """Emails, calls and meetings logged on contacts with leads (LD-3, LD-4); a lead disqualified
        for bad timing now and then (LD-2 opens a follow-up lead)."""
        rnd, pools = self.rnd, self.pools
        recent = pools.prospects[-60:]
        chosen = rnd.sample(recent, min(len(recent), self.n(self.size.outreach)))
        batches: dict[str, list[dict[str, Any]]] = {"emails": [], "calls": [], "meetings": []}
        now = self.rt.now.isoformat()
        for contact_id in chosen:
            kind = rnd.choice(["emails", "emails", "calls", "meetings"])
            props: dict[str, str] = {"hs_timestamp": now}
            if kind == "emails":
                props |= {
                    "hs_email_direction": rnd.choice(["EMAIL", "EMAIL", "INCOMING_EMAIL"]),
                    "hs_email_subject": "Following up",
                }
            elif kind == "calls":
                props |= {
                    "hs_call_title": "Discovery call",
                    "hs_call_disposition": rnd.choice(["connected", "no answer"]),
                }
            else:
                props |= {
                    "hs_meeting_title": "Demo",
                    "hs_meeting_outcome": rnd.choice(["SCHEDULED", "COMPLETED"]),
                }
            batches[kind].append(
                {"properties": props, "associations": [association(contact_id, _ACTIVITY_TO_CONTACT[kind])]}
            )
        for kind, inputs in batches.items():
            create_many(self.rt, kind, inputs)
        for _ in range(self.n(self.size.disqualified)):
            found = call(
                self.rt,
                "POST",
                "/crm/v3/objects/leads/search",
                {
                    "filterGroups": [
                        {
                            "filters": [
                                {"propertyName": "hs_pipeline_stage", "operator": "EQ", "value": "attempting"}
                            ]
                        }
                    ],
                    "limit": 50,
                },
            )["results"]
            if found:
                lead = rnd.choice(found)["id"]
                disqualify = {
                    "hs_pipeline_stage": "disqualified",
                    "hs_lead_disqualification_reason": "BAD_TIMING",
                }
                call(self.rt, "PATCH", f"/crm/v3/objects/leads/{lead}", {"properties": disqualify})

    # ------------------------------------------------------------ tickets through the day
    def answer_tickets(self) -> None:
        """Support answers tickets waiting on us (those answered within 4 business hours are not
        escalated) and closes some; billing works its queue."""
        moves = self.size.ticket_moves
        self.move_tickets(
            [
                ("support", "Waiting on us", "Waiting on customer", moves / 2),
                ("support", "Waiting on customer", "Solved", moves / 2),
                ("support", "Escalated", "Solved", moves / 3),
                ("billing", "In progress", "Closed", moves / 3),
            ]
        )

    def afternoon(self) -> None:
        """New support tickets get a first look and wait on us; billing picks up new ones."""
        moves = self.size.ticket_moves
        self.move_tickets(
            [
                ("support", "New", "Waiting on us", moves / 2),
                ("support", "Waiting on customer", "Waiting on us", moves / 4),
                ("billing", "New", "In progress", moves / 3),
            ]
        )

    def move_tickets(self, plan: list[tuple[str, str, str, float]]) -> None:
        """Move tickets between statuses: ``(pipeline, from, to, how many on a weekday)``, each ticket
        at most once, chosen among the tickets whose status the API says is ``from`` (tickets the
        demo closed are not read again: nothing reopens them)."""
        tickets, closed = self.pools.tickets, self.pools.closed_tickets
        candidates = [i for i in tickets["support"] + tickets["billing"] if i not in closed]
        now = self.current("tickets", candidates, ["hs_pipeline_stage"])
        moved: set[str] = set()
        changes = []
        for key, from_label, to_label, per_day in plan:
            stages = self.account.stages[key]
            there = [i for i in tickets[key] if now.get(i, {}).get("hs_pipeline_stage") == stages[from_label]]
            there = [i for i in there if i not in moved]
            for ticket in self.rnd.sample(there, min(len(there), self.n(per_day))):
                moved.add(ticket)
                changes.append((ticket, {"hs_pipeline_stage": stages[to_label]}))
                if to_label in ("Solved", "Closed"):
                    closed.add(ticket)
        update_many(self.rt, "tickets", changes)
