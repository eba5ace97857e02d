//! The xAPI data-model rules, walked over the typed model with a cheap path.

use super::formats::{
    is_duration, is_iri, is_language_tag, is_mailto, is_mime_type, is_sha1_hex, is_sha2_hex,
    parse_timestamp,
};
use crate::error::{Path, ValidationError};
use crate::model::{
    Account, Activity, ActivityDefinition, Actor, Agent, Attachment, Context, Extensions, Group,
    InteractionType, LanguageMap, Statement, StatementObject, SubStatement, Verb, XapiResult,
};
use crate::version::XapiVersion;

type R = Result<(), ValidationError>;

const VOIDED: &str = "http://adlnet.gov/expapi/verbs/voided";
const SIGNATURE: &str = "http://adlnet.gov/expapi/attachments/signature";

/// Validate a whole statement received in a request of version `v`.
pub(crate) fn validate_statement(st: &Statement, v: XapiVersion, p: &Path) -> R {
    actor(&st.actor, &p.key("actor"))?;
    verb(&st.verb, &p.key("verb"))?;
    let op = p.key("object");
    object(&st.object, v, &op)?;
    if st.verb.id == VOIDED && !matches!(st.object, StatementObject::StatementRef(_)) {
        return Err(op.err("a voiding statement (verb voided) must have a StatementRef object"));
    }
    if let Some(r) = &st.result {
        result(r, &p.key("result"))?;
    }
    if let Some(c) = &st.context {
        context(
            c,
            matches!(st.object, StatementObject::Activity(_)),
            v,
            &p.key("context"),
        )?;
    }
    if let Some(t) = &st.timestamp {
        timestamp(t, v, &p.key("timestamp"))?;
    }
    if let Some(t) = &st.stored {
        timestamp(t, v, &p.key("stored"))?;
    }
    if let Some(a) = &st.authority {
        authority(a, &p.key("authority"))?;
    }
    if let Some(ver) = &st.version
        && !v.accepts_statement_version(ver)
    {
        let allowed = match v {
            XapiVersion::V1_0_3 => "1.0 or 1.0.x",
            XapiVersion::V2_0_0 => "1.0.x or 2.0.x",
        };
        return Err(p.key("version").err(format!(
            "`{ver}` is not an accepted xAPI version ({allowed})"
        )));
    }
    if let Some(atts) = &st.attachments {
        attachments(atts, &p.key("attachments"))?;
    }
    Ok(())
}

/// Validate the `agent` query parameter: an Agent or an identified Group.
pub(crate) fn validate_agent_param(a: &Actor, p: &Path) -> R {
    actor(a, p)?;
    if let Actor::Group(g) = a
        && g.ifi_count() == 0
    {
        return Err(p.err(
            "must be an Agent or an identified Group (an anonymous Group has no identifier)",
        ));
    }
    Ok(())
}

fn iri(s: &str, p: &Path) -> R {
    if is_iri(s) {
        Ok(())
    } else {
        Err(p.err(format!("`{s}` is not an absolute IRI")))
    }
}

fn language_map(m: &LanguageMap, p: &Path) -> R {
    for (k, _) in m.iter() {
        if !is_language_tag(k) {
            return Err(p
                .map_key(k)
                .err(format!("`{k}` is not a valid RFC 5646 language tag")));
        }
    }
    Ok(())
}

fn extensions(e: &Extensions, p: &Path) -> R {
    for (k, _) in &e.0 {
        if !is_iri(k) {
            return Err(p
                .map_key(k)
                .err(format!("extension key `{k}` is not an absolute IRI")));
        }
    }
    Ok(())
}

fn timestamp(s: &str, v: XapiVersion, p: &Path) -> R {
    let t = parse_timestamp(s).map_err(|m| p.err(format!("`{s}` {m}")))?;
    if v == XapiVersion::V2_0_0 && !t.has_offset {
        return Err(p.err(format!("`{s}` must include a timezone offset (xAPI 2.0)")));
    }
    Ok(())
}

struct Ifis<'a> {
    mbox: &'a Option<String>,
    mbox_sha1sum: &'a Option<String>,
    openid: &'a Option<String>,
    account: &'a Option<Account>,
}

fn ifis(i: Ifis, p: &Path) -> R {
    if let Some(m) = i.mbox
        && !is_mailto(m)
    {
        return Err(p
            .key("mbox")
            .err(format!("`{m}` must be a mailto: IRI of an e-mail address")));
    }
    if let Some(s) = i.mbox_sha1sum
        && !is_sha1_hex(s)
    {
        return Err(p
            .key("mbox_sha1sum")
            .err(format!("`{s}` must be 40 hexadecimal digits")));
    }
    if let Some(o) = i.openid {
        iri(o, &p.key("openid"))?;
    }
    if let Some(a) = i.account {
        let ap = p.key("account");
        iri(&a.home_page, &ap.key("homePage"))?;
    }
    Ok(())
}

pub(crate) fn agent(a: &Agent, p: &Path) -> R {
    let n = a.ifi_count();
    if n != 1 {
        return Err(p.err(format!(
            "an Agent must have exactly one inverse functional identifier (mbox, mbox_sha1sum, openid or account); found {n}"
        )));
    }
    ifis(
        Ifis {
            mbox: &a.mbox,
            mbox_sha1sum: &a.mbox_sha1sum,
            openid: &a.openid,
            account: &a.account,
        },
        p,
    )
}

fn group(g: &Group, p: &Path) -> R {
    let n = g.ifi_count();
    if n > 1 {
        return Err(p.err(format!(
            "a Group must have at most one inverse functional identifier; found {n}"
        )));
    }
    ifis(
        Ifis {
            mbox: &g.mbox,
            mbox_sha1sum: &g.mbox_sha1sum,
            openid: &g.openid,
            account: &g.account,
        },
        p,
    )?;
    let mp = p.key("member");
    match &g.member {
        None if n == 0 => {
            return Err(p.err("an anonymous Group (no identifier) must list its `member`s"));
        }
        Some(m) if m.is_empty() && n == 0 => {
            return Err(mp.err("an anonymous Group must have at least one member"));
        }
        _ => {}
    }
    for (i, m) in g.members().iter().enumerate() {
        agent(m, &mp.index(i))?;
    }
    Ok(())
}

fn actor(a: &Actor, p: &Path) -> R {
    match a {
        Actor::Agent(x) => agent(x, p),
        Actor::Group(g) => group(g, p),
    }
}

fn authority(a: &Actor, p: &Path) -> R {
    actor(a, p)?;
    if let Actor::Group(g) = a {
        if g.ifi_count() != 0 {
            return Err(p.err("an authority Group must be anonymous (OAuth consumer + user)"));
        }
        if g.members().len() != 2 {
            return Err(p
                .key("member")
                .err("an authority Group must have exactly two members"));
        }
    }
    Ok(())
}

fn verb(v: &Verb, p: &Path) -> R {
    iri(&v.id, &p.key("id"))?;
    if let Some(d) = &v.display {
        language_map(d, &p.key("display"))?;
    }
    Ok(())
}

fn object(o: &StatementObject, v: XapiVersion, p: &Path) -> R {
    match o {
        StatementObject::Activity(a) => activity(a, p),
        StatementObject::Agent(a) => agent(a, p),
        StatementObject::Group(g) => group(g, p),
        StatementObject::StatementRef(_) => Ok(()),
        StatementObject::SubStatement(s) => sub_statement(s, v, p),
    }
}

fn sub_statement(s: &SubStatement, v: XapiVersion, p: &Path) -> R {
    actor(&s.actor, &p.key("actor"))?;
    verb(&s.verb, &p.key("verb"))?;
    object(&s.object, v, &p.key("object"))?;
    if let Some(r) = &s.result {
        result(r, &p.key("result"))?;
    }
    if let Some(c) = &s.context {
        context(
            c,
            matches!(*s.object, StatementObject::Activity(_)),
            v,
            &p.key("context"),
        )?;
    }
    if let Some(t) = &s.timestamp {
        timestamp(t, v, &p.key("timestamp"))?;
    }
    if let Some(atts) = &s.attachments {
        attachments(atts, &p.key("attachments"))?;
    }
    Ok(())
}

pub(crate) fn activity(a: &Activity, p: &Path) -> R {
    iri(&a.id, &p.key("id"))?;
    if let Some(d) = &a.definition {
        definition(d, &p.key("definition"))?;
    }
    Ok(())
}

fn definition(d: &ActivityDefinition, p: &Path) -> R {
    if let Some(m) = &d.name {
        language_map(m, &p.key("name"))?;
    }
    if let Some(m) = &d.description {
        language_map(m, &p.key("description"))?;
    }
    if let Some(t) = &d.activity_type {
        iri(t, &p.key("type"))?;
    }
    if let Some(t) = &d.more_info {
        iri(t, &p.key("moreInfo"))?;
    }
    if let Some(e) = &d.extensions {
        extensions(e, &p.key("extensions"))?;
    }
    let allowed: &[&str] = match d.interaction_type {
        None => {
            if d.correct_responses_pattern.is_some() {
                return Err(p.err("`correctResponsesPattern` requires `interactionType`"));
            }
            &[]
        }
        Some(InteractionType::Choice | InteractionType::Sequencing) => &["choices"],
        Some(InteractionType::Likert) => &["scale"],
        Some(InteractionType::Matching) => &["source", "target"],
        Some(InteractionType::Performance) => &["steps"],
        Some(_) => &[],
    };
    for (name, list) in d.component_lists() {
        if !allowed.contains(&name) {
            return Err(match d.interaction_type {
                None => p.err(format!("`{name}` requires `interactionType`")),
                Some(t) => p.err(format!(
                    "`{name}` is not allowed with interactionType {t:?}"
                )),
            });
        }
        let lp = p.key(name);
        for (i, c) in list.iter().enumerate() {
            let cp = lp.index(i);
            if list[..i].iter().any(|o| o.id == c.id) {
                return Err(cp
                    .key("id")
                    .err(format!("interaction component id `{}` is not unique", c.id)));
            }
            if let Some(m) = &c.description {
                language_map(m, &cp.key("description"))?;
            }
        }
    }
    Ok(())
}

fn result(r: &XapiResult, p: &Path) -> R {
    if let Some(s) = &r.score {
        let sp = p.key("score");
        if let Some(x) = s.scaled()
            && !(-1.0..=1.0).contains(&x)
        {
            return Err(sp.key("scaled").err(format!("{x} is not between -1 and 1")));
        }
        if let (Some(min), Some(max)) = (s.min(), s.max())
            && min > max
        {
            return Err(sp
                .key("min")
                .err(format!("min {min} is greater than max {max}")));
        }
        if let Some(raw) = s.raw() {
            if s.min().is_some_and(|m| raw < m) {
                return Err(sp.key("raw").err(format!("raw {raw} is less than min")));
            }
            if s.max().is_some_and(|m| raw > m) {
                return Err(sp.key("raw").err(format!("raw {raw} is greater than max")));
            }
        }
    }
    if let Some(d) = &r.duration
        && !is_duration(d)
    {
        return Err(p
            .key("duration")
            .err(format!("`{d}` is not an ISO 8601 duration (e.g. PT1H30M)")));
    }
    if let Some(e) = &r.extensions {
        extensions(e, &p.key("extensions"))?;
    }
    Ok(())
}

fn context(c: &Context, object_is_activity: bool, v: XapiVersion, p: &Path) -> R {
    if let Some(i) = &c.instructor {
        actor(i, &p.key("instructor"))?;
    }
    if let Some(t) = &c.team {
        let tp = p.key("team");
        match t {
            Actor::Group(g) => group(g, &tp)?,
            Actor::Agent(_) => return Err(tp.err("team must be a Group (objectType \"Group\")")),
        }
    }
    if let Some(ca) = &c.context_activities {
        let cp = p.key("contextActivities");
        for (name, list) in ca.lists() {
            let lp = cp.key(name);
            for (i, a) in list.iter().enumerate() {
                activity(a, &lp.index(i))?;
            }
        }
    }
    if let Some(list) = &c.context_agents {
        let lp = p.key("contextAgents");
        if v == XapiVersion::V1_0_3 {
            return Err(lp.err("contextAgents is an xAPI 2.0 property, not allowed in xAPI 1.0.x"));
        }
        for (i, ca) in list.iter().enumerate() {
            let ip = lp.index(i);
            agent(&ca.agent, &ip.key("agent"))?;
            relevant_types(&ca.relevant_types, &ip.key("relevantTypes"))?;
        }
    }
    if let Some(list) = &c.context_groups {
        let lp = p.key("contextGroups");
        if v == XapiVersion::V1_0_3 {
            return Err(lp.err("contextGroups is an xAPI 2.0 property, not allowed in xAPI 1.0.x"));
        }
        for (i, cg) in list.iter().enumerate() {
            let ip = lp.index(i);
            group(&cg.group, &ip.key("group"))?;
            relevant_types(&cg.relevant_types, &ip.key("relevantTypes"))?;
        }
    }
    if !object_is_activity {
        if c.revision.is_some() {
            return Err(p
                .key("revision")
                .err("revision is only allowed when the object is an Activity"));
        }
        if c.platform.is_some() {
            return Err(p
                .key("platform")
                .err("platform is only allowed when the object is an Activity"));
        }
    }
    if let Some(l) = &c.language
        && !is_language_tag(l)
    {
        return Err(p
            .key("language")
            .err(format!("`{l}` is not a valid RFC 5646 language tag")));
    }
    if let Some(e) = &c.extensions {
        extensions(e, &p.key("extensions"))?;
    }
    Ok(())
}

fn relevant_types(rt: &Option<Vec<String>>, p: &Path) -> R {
    if let Some(list) = rt {
        if list.is_empty() {
            return Err(p.err("relevantTypes must not be empty when present"));
        }
        for (i, t) in list.iter().enumerate() {
            iri(t, &p.index(i))?;
        }
    }
    Ok(())
}

fn attachments(atts: &[Attachment], p: &Path) -> R {
    for (i, a) in atts.iter().enumerate() {
        let ap = p.index(i);
        iri(&a.usage_type, &ap.key("usageType"))?;
        language_map(&a.display, &ap.key("display"))?;
        if let Some(d) = &a.description {
            language_map(d, &ap.key("description"))?;
        }
        if !is_mime_type(&a.content_type) {
            return Err(ap
                .key("contentType")
                .err(format!("`{}` is not a MIME type", a.content_type)));
        }
        if a.usage_type == SIGNATURE && a.content_type != "application/octet-stream" {
            return Err(ap
                .key("contentType")
                .err("a signature attachment must have contentType application/octet-stream"));
        }
        if !is_sha2_hex(&a.sha2) {
            return Err(ap
                .key("sha2")
                .err(format!("`{}` is not a hex SHA-2 hash", a.sha2)));
        }
        if let Some(u) = &a.file_url {
            iri(u, &ap.key("fileUrl"))?;
        }
    }
    Ok(())
}
