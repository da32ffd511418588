"""Fixed word lists the benchmark corpus generator draws from: topics, providers and headline parts."""

from __future__ import annotations

# Ordered by popularity: the generator gives rank r a Zipf weight 1 / r**s, so "AI" is the most common topic.
TOPICS: tuple[str, ...] = (
    "AI", "Climate", "Cybersecurity", "Semiconductors", "Elections", "Startups", "Markets", "Energy",
    "Health", "Space", "Electric Vehicles", "Privacy", "Open Source", "China", "Europe", "Regulation",
    "Smartphones", "Cloud", "Crypto", "Robotics", "Biotech", "Social Media", "Gaming", "Trade",
    "Quantum Computing", "Telecom", "Aviation", "Education", "Labor", "Antitrust", "India", "Ukraine",
    "Science", "Medicine", "AR/VR", "Health & Wellness", "Latin America", "Africa", "Middle East", "M&A",
)

# (name, domain), ordered by popularity. Fictional outlets; a few names are non-ASCII on purpose.
PROVIDERS: tuple[tuple[str, str], ...] = (
    ("The Daily Ledger", "dailyledger.example"), ("Tech Harbor", "techharbor.example"),
    ("Global Wire", "globalwire.example"), ("Metro Gazette", "metrogazette.example"),
    ("The Circuit", "thecircuit.example"), ("Market Watchtower", "marketwatchtower.example"),
    ("Morning Dispatch", "morningdispatch.example"), ("Signal & Noise", "signalnoise.example"),
    ("The Frontier Post", "frontierpost.example"), ("Byte Chronicle", "bytechronicle.example"),
    ("Evening Standard Tech", "eveningstandardtech.example"), ("Northern Herald", "northernherald.example"),
    ("Policy Desk", "policydesk.example"), ("The Lab Report", "labreport.example"),
    ("Capital Review", "capitalreview.example"), ("Orbit Weekly", "orbitweekly.example"),
    ("Greenline News", "greenline.example"), ("The Network", "thenetwork.example"),
    ("Harbor City Times", "harborcitytimes.example"), ("Silicon Observer", "siliconobserver.example"),
    ("Le Quotidien Numérique", "quotidien-numerique.example"), ("Pacific Bulletin", "pacificbulletin.example"),
    ("Data Tribune", "datatribune.example"), ("The Open Source Digest", "osdigest.example"),
    ("Health Current", "healthcurrent.example"), ("Energy Monitor Daily", "energymonitor.example"),
    ("Süddeutsche Technik", "sued-technik.example"), ("Delta Times", "deltatimes.example"),
    ("The Analyst", "theanalyst.example"), ("Continental Wire", "continentalwire.example"),
    ("Riverside Courier", "riversidecourier.example"), ("Deep Space Journal", "deepspacejournal.example"),
    ("Chip Insider", "chipinsider.example"), ("The Regulator", "theregulator.example"),
    ("Startup Almanac", "startupalmanac.example"), ("Lakeside Sentinel", "lakesidesentinel.example"),
    ("Prairie Press", "prairiepress.example"), ("Coastline Chronicle", "coastlinechronicle.example"),
    ("El Diario Técnico", "diariotecnico.example"), ("Hindsight Magazine", "hindsight.example"),
    ("The Quantum Letter", "quantumletter.example"), ("Urban Ledger", "urbanledger.example"),
    ("Field Notes", "fieldnotes.example"), ("The Brief", "thebrief.example"),
    ("Summit Journal", "summitjournal.example"), ("Keystone Report", "keystonereport.example"),
    ("Atlas Business", "atlasbusiness.example"), ("Beacon Science", "beaconscience.example"),
    ("Mainframe Weekly", "mainframeweekly.example"), ("Tidewater Times", "tidewatertimes.example"),
    ("The Long Game", "thelonggame.example"), ("Parallel Lines", "parallellines.example"),
    ("Crossroads News", "crossroadsnews.example"), ("Granite State Wire", "granitestatewire.example"),
    ("The Commons", "thecommons.example"), ("Westbrook Gazette", "westbrookgazette.example"),
    ("Nordic Tech Review", "nordictechreview.example"), ("Sahara Business Daily", "saharabusiness.example"),
    ("Monsoon Post", "monsoonpost.example"), ("The Footnote", "thefootnote.example"),
)

ACTORS: tuple[str, ...] = (
    "Regulators", "Lawmakers", "Researchers", "Investors", "Chipmakers", "Automakers", "Central banks",
    "The European Commission", "Open-source developers", "Hospitals", "Airlines", "Cloud providers",
    "Farmers", "Teachers", "Unions", "Scientists", "Engineers", "Analysts", "Carriers", "Insurers",
    "Northwind", "Contoso", "Globex", "Initech", "Umbrella Labs", "Hooli", "Vandelay Industries",
    "Acme Robotics", "Stark Dynamics", "Wayne Biotech", "Cyberdyne", "Tyrell Systems", "Aperture Science",
    "Massive Dynamic", "Oscorp", "Soylent Foods", "Pied Piper", "Nakatomi Trading", "Blue Sun", "Wonka Labs",
    "The UN", "The White House", "Beijing", "Brussels", "New Delhi", "Nairobi", "Brasília", "Tokyo",
)

# (base form, past form): past forms read as headlines for singular and plural subjects alike.
VERBS: tuple[tuple[str, str], ...] = (
    ("unveil", "unveiled"), ("warn about", "warned about"), ("bet on", "bet on"), ("push back on", "pushed back on"),
    ("double down on", "doubled down on"), ("roll out", "rolled out"), ("shelve", "shelved"),
    ("invest in", "invested in"), ("cut jobs at", "cut jobs at"), ("sue over", "sued over"), ("approve", "approved"),
    ("delay", "delayed"), ("back", "backed"), ("probe", "probed"), ("ban", "banned"), ("test", "tested"),
    ("expand", "expanded"), ("rethink", "rethought"), ("scrap", "scrapped"), ("fund", "funded"),
    ("open up", "opened up"), ("restrict", "restricted"), ("acquire", "acquired"), ("launch", "launched"),
)

ADJECTIVES: tuple[str, ...] = (
    "new", "open", "low-cost", "AI-powered", "next-generation", "controversial", "long-awaited", "experimental",
    "national", "cross-border", "quantum-safe", "carbon-neutral", "record", "secretive", "modular", "rural",
    "offshore", "autonomous", "sovereign", "rival", "budget", "premium", "global", "local", "stalled",
)

NOUNS: tuple[str, ...] = (
    "chips", "battery plant", "data centers", "privacy rules", "satellite network", "language model",
    "export controls", "vaccine trial", "wind farms", "payment app", "smartphone", "search engine",
    "ride-hailing service", "streaming deal", "supply chain", "trade agreement", "tax credits", "labor contract",
    "drone fleet", "fusion reactor", "quantum computer", "chatbot", "app store", "fiber network", "rocket",
    "lithium mine", "carbon market", "health records", "school laptops", "stablecoin", "robotaxi service",
    "heat pumps", "power grid", "spy software", "browser", "ad business", "cloud contract", "gene therapy",
)

QUALIFIERS: tuple[str, ...] = (
    "", "", "", "", " in Europe", " amid chip shortage", " after record quarter", " as prices fall",
    " despite backlash", " ahead of elections", " for 2027", " in {money} deal", " — report", " — sources",
    " after {n}-year fight", " in {n} countries", " worth {money}", ", filing shows", " as demand surges",
)

SOURCES: tuple[str, ...] = ("report says", "analysts say", "filing shows", "sources say", "study finds")

HEADINGS: tuple[str, ...] = (
    "Why it matters", "The bigger picture", "What comes next", "Background", "The numbers",
    "What critics say", "How we got here", "The {topic} angle", "Inside the deal", "Reaction",
    "What it means for {topic}", "Open questions", "By the numbers", "The fine print", "Looking ahead",
)

NAMES: tuple[str, ...] = (
    "Amara Okafor", "Liu Wei", "Sofia Marquez", "Jonas Lindqvist", "Priya Raman", "Tomasz Nowak",
    "Hannah Becker", "Kenji Watanabe", "Fatima Al-Sayed", "Daniel Brooks", "Élodie Martin", "Ravi Menon",
)

# Plain English filler; the generator stitches sentences from these.
WORDS: tuple[str, ...] = tuple("""
the of and to in a is that for it as was with be by on not he this are or his from at which but have an
they you were her she there been one all we their has would when if so no will more about can said up
out what some into them other than then its only could time these two may first new like our over also
years after most made many before must through back where much your way well down should because each just
those people how too little state good very make world still own see men work long get here between both
life being under never day same another know while last might us great old year off come since against go
came right used take three states himself few house use during without again place around however
home small found thought went say part once general high upon school every does got united left number
course war until always away something fact though water less public put think almost hand enough far took
head yet government system better set told nothing night end why called eyes find going look asked
later knew point next city program business give group toward young days let room president side social
given present several order national possible rather second face per among form important often things
looking early white case become large big need four within felt along children saw best church ever
least power development light thing seemed family interest want members mind country area others done turned
although open service certain kind problem began different door thus help sense means whole matter perhaps
itself times law human line above name example action company hands local show whether five history gave
today either act feet across taken past quite anything seen having death week experience body word half really
field am car words already themselves information tell together college shall money period held keep sure real
probably free seems political cannot behind miss question air office making brought whose special major heard
problems federal became study ago moment available known result street economic boy position reason change
south board individual job society areas west close turn love community true court force full seem am market
policy data network platform model chip battery grid launch investors regulators analysts engineers
researchers startups supply demand price prices costs revenue quarter growth risk risks security privacy users
customers software hardware devices cloud server servers infrastructure energy climate emissions carbon policy
""".split())
