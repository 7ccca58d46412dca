"""The words the demo catalog is made of.

Kept apart from the generator so that ``generate.py`` reads as an algorithm and this file as data.
Every list here is part of the demo's identity: item ids are positional, but titles, texts and
attributes come from these lists in order, so editing a list changes the generated catalog (and
the curated ``default_items`` in the demo experiences may then need a fresh look).
"""

from __future__ import annotations

from typing import NamedTuple

# fmt: off
# Tables read best one entry per line; keep the formatter from exploding them.

MOODS = (
    "calm",
    "focused",
    "energetic",
    "happy",
    "melancholic",
    "romantic",
    "dreamy",
    "dark",
    "uplifting",
)

DECADES = ("70s", "80s", "90s", "2000s", "2010s", "2020s")
DECADE_START = {"70s": 1970, "80s": 1980, "90s": 1990, "2000s": 2000, "2010s": 2010, "2020s": 2020}


class Genre(NamedTuple):
    """How a genre sounds: the moods it leans to, its tempo and energy range, its eras."""

    weight: float  # share of the catalog
    moods: dict[str, float]
    tempo: tuple[int, int]
    energy: tuple[float, float]
    decades: tuple[float, float, float, float, float, float]  # weight per DECADES entry
    neighbours: tuple[str, ...]  # genres a track may also be tagged with
    sounds: tuple[str, ...]  # instrumentation phrases for the text


GENRES: dict[str, Genre] = {
    "ambient": Genre(
        1.0, {"calm": 3, "dreamy": 3, "focused": 3, "melancholic": 1, "dark": 1},
        (60, 95), (0.05, 0.35), (0.5, 1, 2, 2, 3, 3), ("electronic", "classical"),
        ("slow synth pads", "field recordings and soft drones", "glassy textures",
         "warm tape hiss"),
    ),
    "lo-fi": Genre(
        1.2, {"calm": 3, "focused": 3, "dreamy": 2, "melancholic": 1, "happy": 1},
        (70, 95), (0.15, 0.45), (0, 0, 0, 0.5, 3, 4), ("hip-hop", "jazz"),
        ("dusty drums and Rhodes chords", "vinyl crackle and mellow keys", "a lazy boom-bap beat"),
    ),
    "classical": Genre(
        0.8, {"calm": 3, "focused": 3, "melancholic": 2, "romantic": 1, "uplifting": 1},
        (50, 130), (0.05, 0.5), (2, 2, 2, 1, 1, 1), ("ambient",),
        ("solo piano", "a string quartet", "soft cello lines", "a chamber orchestra"),
    ),
    "jazz": Genre(
        1.0, {"romantic": 2, "calm": 2, "dreamy": 1, "happy": 1, "melancholic": 1, "focused": 1},
        (70, 180), (0.2, 0.6), (3, 2, 2, 1, 1, 1), ("soul", "lo-fi"),
        ("brushed drums and upright bass", "a smoky saxophone", "a late-night piano trio"),
    ),
    "soul": Genre(
        0.8, {"romantic": 3, "happy": 2, "uplifting": 2, "melancholic": 1},
        (70, 115), (0.35, 0.7), (4, 2, 1, 1, 1, 1), ("r&b", "funk"),
        ("a gospel-tinged organ", "lush horns and strings", "a heartfelt lead vocal"),
    ),
    "r&b": Genre(
        0.9, {"romantic": 3, "dreamy": 1, "dark": 1, "happy": 1},
        (65, 105), (0.3, 0.65), (1, 2, 3, 3, 2, 2), ("soul", "hip-hop"),
        ("silky vocals over slow 808s", "smooth harmonies", "a warm bassline"),
    ),
    "funk": Genre(
        0.6, {"happy": 3, "energetic": 3, "uplifting": 1},
        (95, 120), (0.6, 0.9), (4, 2, 1, 1, 1, 1), ("disco", "soul"),
        ("slap bass and tight horns", "a chicken-scratch guitar", "clavinet stabs"),
    ),
    "disco": Genre(
        0.6, {"happy": 3, "energetic": 3, "uplifting": 2, "romantic": 1},
        (110, 128), (0.65, 0.95), (4, 2, 0.5, 0.5, 1, 1), ("funk", "house"),
        ("four-on-the-floor drums and strings", "a shimmering string section", "a rubbery bass"),
    ),
    "house": Genre(
        1.1, {"energetic": 3, "happy": 2, "uplifting": 2, "dreamy": 1},
        (118, 128), (0.6, 0.95), (0, 1, 3, 2, 3, 3), ("electronic", "disco"),
        ("a rolling four-on-the-floor groove", "chopped vocal hooks", "piano stabs"),
    ),
    "techno": Genre(
        0.8, {"energetic": 3, "dark": 3, "focused": 1},
        (122, 140), (0.65, 1.0), (0, 0.5, 2, 2, 3, 3), ("electronic",),
        ("a hypnotic kick and hi-hats", "metallic percussion", "a pulsing acid line"),
    ),
    "drum-and-bass": Genre(
        0.5, {"energetic": 3, "dark": 1, "uplifting": 1},
        (160, 176), (0.75, 1.0), (0, 0, 2, 2, 2, 2), ("electronic",),
        ("breakbeats and a deep sub bass", "rapid-fire drums", "a rolling reese bass"),
    ),
    "synthwave": Genre(
        0.6, {"dreamy": 3, "dark": 2, "energetic": 1, "romantic": 1},
        (80, 118), (0.4, 0.8), (0, 2, 0, 0, 3, 2), ("electronic", "pop"),
        ("neon analog synths", "gated drums and arpeggios", "a retro drum machine"),
    ),
    "trip-hop": Genre(
        0.5, {"dark": 2, "dreamy": 3, "calm": 1, "melancholic": 1},
        (70, 95), (0.25, 0.55), (0, 0, 3, 2, 1, 1), ("electronic", "hip-hop"),
        ("a slow breakbeat and haunting vocals", "turntable scratches and strings", "murky bass"),
    ),
    "hip-hop": Genre(
        1.1, {"energetic": 2, "dark": 1, "happy": 1, "uplifting": 1},
        (80, 100), (0.5, 0.85), (0, 1, 3, 3, 3, 3), ("r&b",),
        ("hard-hitting drums and confident verses", "a sampled soul loop", "booming 808s"),
    ),
    "pop": Genre(
        1.2, {"happy": 3, "uplifting": 2, "romantic": 2, "energetic": 2},
        (95, 128), (0.5, 0.9), (1, 2, 2, 2, 3, 3), ("dance",),
        ("a big sing-along chorus", "bright synths and handclaps", "a catchy vocal hook"),
    ),
    "indie": Genre(
        1.0, {"melancholic": 2, "dreamy": 2, "happy": 1, "uplifting": 1},
        (90, 140), (0.35, 0.75), (0, 1, 2, 3, 3, 2), ("rock", "folk"),
        ("jangly guitars", "reverb-soaked vocals", "a fuzzy bassline and tambourine"),
    ),
    "rock": Genre(
        1.0, {"energetic": 3, "uplifting": 1, "dark": 1, "happy": 1},
        (100, 160), (0.6, 0.95), (3, 3, 3, 2, 1, 1), ("indie",),
        ("crunchy guitars", "pounding drums and a big riff", "a soaring guitar solo"),
    ),
    "metal": Genre(
        0.4, {"energetic": 3, "dark": 3},
        (120, 190), (0.8, 1.0), (1, 2, 2, 2, 1, 1), ("rock",),
        ("down-tuned guitars", "double-kick drums", "a thunderous riff"),
    ),
    "folk": Genre(
        0.7, {"calm": 2, "melancholic": 2, "uplifting": 1, "romantic": 1},
        (70, 120), (0.15, 0.5), (3, 1, 1, 2, 3, 2), ("acoustic", "indie"),
        ("fingerpicked guitar and harmonies", "a banjo and fiddle", "a hushed voice and guitar"),
    ),
    "acoustic": Genre(
        0.8, {"calm": 3, "romantic": 2, "happy": 1, "melancholic": 1},
        (70, 115), (0.1, 0.45), (1, 1, 2, 3, 3, 3), ("folk", "pop"),
        ("an acoustic guitar and soft vocals", "gentle strummed chords", "a warm ukulele"),
    ),
    "reggae": Genre(
        0.4, {"happy": 3, "calm": 2, "uplifting": 2},
        (70, 95), (0.35, 0.65), (4, 2, 1, 1, 1, 1), (),
        ("an offbeat skank guitar", "a deep dub bassline", "echoing melodica"),
    ),
    "latin": Genre(
        0.5, {"energetic": 2, "happy": 3, "romantic": 2},
        (90, 130), (0.55, 0.9), (1, 1, 1, 2, 3, 3), ("pop", "dance"),
        ("congas and brass", "a reggaeton dembow beat", "nylon-string guitar and percussion"),
    ),
}

MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "calm": ("calm", "unhurried", "gentle", "soothing", "peaceful"),
    "focused": ("steady", "focused", "absorbing", "unobtrusive", "clear-headed"),
    "energetic": ("energetic", "high-octane", "punchy", "propulsive", "fiery"),
    "happy": ("joyful", "sunny", "playful", "feel-good", "carefree"),
    "melancholic": ("wistful", "bittersweet", "melancholic", "rainy-day", "longing"),
    "romantic": ("romantic", "tender", "sensual", "intimate", "heartfelt"),
    "dreamy": ("dreamy", "hazy", "floating", "weightless", "starry"),
    "dark": ("dark", "brooding", "moody", "shadowy", "nocturnal"),
    "uplifting": ("uplifting", "hopeful", "soaring", "bright", "triumphant"),
}

MOOD_USES: dict[str, tuple[str, ...]] = {
    "calm": ("slow mornings", "winding down", "a quiet Sunday", "reading on the sofa"),
    "focused": ("deep work", "studying", "long coding sessions", "writing without distraction"),
    "energetic": ("workouts", "a run", "the gym", "a big night out"),
    "happy": ("sunny afternoons", "road trips", "cooking with friends", "a house party"),
    "melancholic": ("rainy days", "late reflection", "a long walk alone", "grey afternoons"),
    "romantic": ("date night", "a slow dance", "dinner for two", "candlelit evenings"),
    "dreamy": ("late-night drives", "stargazing", "train windows", "drifting off"),
    "dark": ("after-hours", "night drives", "the small hours", "a neon-lit city"),
    "uplifting": ("getting motivated", "a fresh start", "the last mile", "Monday mornings"),
}

TITLE_ADJECTIVES: dict[str, tuple[str, ...]] = {
    "calm": ("Quiet", "Still", "Soft", "Slow", "Gentle", "Hushed", "Tender", "Easy", "Low"),
    "focused": ("Clear", "Steady", "Open", "Level", "Patient", "Deep", "Silent", "Even"),
    "energetic": ("Electric", "Burning", "Wild", "Rapid", "Loud", "Restless", "Rising", "Kinetic"),
    "happy": ("Golden", "Sunny", "Bright", "Lucky", "Sweet", "Lemon", "Candy", "Summer"),
    "melancholic": ("Faded", "Grey", "Lonely", "Broken", "Distant", "Empty", "Last", "Paper"),
    "romantic": ("Velvet", "Crimson", "Honey", "Silk", "Secret", "Warm", "Rose", "Amber"),
    "dreamy": ("Floating", "Hazy", "Lunar", "Drifting", "Pastel", "Violet", "Cloudy", "Starlit"),
    "dark": ("Midnight", "Black", "Hollow", "Cold", "Neon", "Shadow", "Iron", "Obsidian"),
    "uplifting": ("Higher", "Brave", "New", "Shining", "Open", "Morning", "Endless", "Wide"),
}

TITLE_NOUNS = (
    "Harbor", "Signal", "Garden", "Window", "River", "Motel", "Highway", "Orbit", "Letter",
    "Tide", "Lantern", "Skyline", "Echo", "Horizon", "Meadow", "Circuit", "Engine", "Fever",
    "Machine", "Mirror", "Season", "Static", "Frequency", "Satellite", "Avenue", "Rooftop",
    "Island", "Canyon", "Forest", "Pulse", "Rhythm", "Compass", "Kingdom", "Parade", "Carousel",
    "Ballroom", "Arcade", "Cathedral", "Postcard", "Polaroid", "Morning", "Evening", "Winter",
    "Autumn", "Summer", "Spring", "Heartbeat", "Daydream", "Reverie", "Lullaby", "Anthem",
    "Voltage", "Mountain", "Desert", "Ocean", "Current", "Thunder", "Rain", "Snowfall", "Comet",
    "Galaxy", "Nebula", "Firefly", "Sparrow", "Tiger", "Wolf", "Fox", "Swan", "Diamond",
    "Crystal", "Velocity", "Gravity", "Silence", "Shelter", "Harvest", "Festival", "Boulevard",
    "Paradise", "Stairway", "Hallway", "Corridor", "Station", "Terminal", "Balcony", "Garage",
    "Spiral", "Prism", "Halo", "Ember", "Flame", "Smoke", "Cinema", "Telephone", "Radio",
)

FIRST_NAMES = (
    "Mara", "Leon", "Iris", "Theo", "Nina", "Omar", "Clara", "Felix", "Yara", "Jonah", "Ada",
    "Ravi", "Lena", "Milo", "Sofia", "Elias", "Noor", "Hugo", "Aiko", "Dario", "Freya", "Kofi",
    "Ines", "Luca", "Maya", "Oskar", "Priya", "Rosa", "Sami", "Talia", "Viktor", "Zoe", "Bruno",
    "Celine", "Dmitri", "Esme", "Gus", "Hana", "Ivo", "June",
)
LAST_NAMES = (
    "Quill", "Vale", "Moreau", "Okafor", "Lindqvist", "Rivers", "Castell", "Haze", "Nakamura",
    "Bellamy", "Frost", "Marlowe", "Santos", "Whitlock", "Adler", "Kestrel", "Duval", "Ashby",
    "Navarro", "Petrov", "Reyes", "Sterling", "Thorne", "Ueda", "Varga", "Wilde", "Yilmaz",
    "Zamora", "Blackwood", "Carmody",
)
BAND_ADJECTIVES = (
    "Velvet", "Paper", "Neon", "Silver", "Golden", "Hollow", "Electric", "Midnight", "Crystal",
    "Wandering", "Secret", "Broken", "Northern", "Lunar", "Tiny", "Glass", "Copper", "Static",
)
BAND_NOUNS = (
    "Harbors", "Pilots", "Lanterns", "Foxes", "Orchards", "Satellites", "Tigers", "Echoes",
    "Gardens", "Machines", "Rivers", "Ghosts", "Parades", "Comets", "Sparrows", "Wolves",
)
ALIASES = (
    "Kairo", "Lumen", "Solace", "Nyx", "Vanta", "Oberon", "Tessellate", "Halcyon", "Mirage",
    "Sable", "Aurora", "Cobalt", "Drift", "Ember", "Fathom", "Gossamer", "Helix", "Indigo",
    "Juno", "Kite", "Lyric", "Monsoon", "Nocturne", "Onyx", "Prism", "Quartz", "Rune", "Sol",
)


class ProductType(NamedTuple):
    """One kind of product: price range, occasion tags, who it is for and what it is like."""

    name: str
    price: tuple[float, float]
    tags: tuple[str, ...]  # occasions it suits
    audience: tuple[float, float, float]  # weights for (adults, kids, family)
    blurb: str
    variants: tuple[str, ...] = ()  # title words for this type; default: the category's


AUDIENCES = ("adults", "kids", "family")
CATEGORY_WEIGHTS = {
    "coffee": 1.0, "tea": 0.7, "snacks": 1.3, "candles": 0.9, "books": 1.0,
    "outdoor": 1.2, "kitchen": 1.0, "games": 1.1, "wellness": 0.9, "crafts": 0.6,
}  # share of the product catalog per category

# category -> (title variants, product types)
PRODUCTS: dict[str, tuple[tuple[str, ...], tuple[ProductType, ...]]] = {
    "coffee": (
        ("Highland", "Morning Ritual", "Ethiopia Yirgacheffe", "Colombia Huila", "Dark Harbor",
         "Sunrise", "Old Town", "Velvet Crema", "Mountain Mist", "House"),
        (
            ProductType("Whole Bean Coffee", (9, 24), ("brunch", "cozy-night-in"), (1, 0, 0),
                        "fresh-roasted beans with notes of cocoa and stone fruit"),
            ProductType("Espresso Blend", (8, 18), ("brunch",), (1, 0, 0),
                        "a rich, syrupy espresso roast"),
            ProductType("Cold Brew Kit", (22, 45), ("picnic", "brunch"), (1, 0, 0),
                        "everything for smooth overnight cold brew"),
            ProductType("Pour-Over Set", (25, 60), ("brunch", "self-care"), (1, 0, 0),
                        "a ceramic dripper, filters and a gooseneck kettle"),
            ProductType("Coffee Sampler Box", (18, 39), ("brunch", "cozy-night-in"), (1, 0, 0),
                        "four small-batch roasts to taste side by side"),
        ),
    ),
    "tea": (
        ("Moonlight", "Garden", "Jasmine Pearl", "Earl Grey", "Chamomile", "Rooibos", "Mint",
         "Ginger", "Hojicha", "Spiced"),
        (
            ProductType("Loose Leaf Tea", (6, 18), ("cozy-night-in", "self-care"), (3, 0, 1),
                        "whole-leaf tea that brews a fragrant cup"),
            ProductType("Sleep Tea", (5, 14), ("self-care", "cozy-night-in"), (3, 0, 1),
                        "a caffeine-free herbal blend for winding down",
                        ("Chamomile", "Moonlight", "Lavender", "Rooibos", "Mint", "Valerian")),
            ProductType("Matcha Starter Kit", (20, 48), ("self-care", "brunch"), (1, 0, 0),
                        "ceremonial matcha, a bamboo whisk and a bowl",
                        ("Uji", "Ceremonial", "Kyoto", "Everyday", "Garden")),
            ProductType("Tea Gift Tin", (15, 35), ("cozy-night-in",), (2, 0, 1),
                        "six blends in a keepsake tin"),
        ),
    ),
    "snacks": (
        ("Sea Salt", "Smoky", "Honey Roasted", "Spicy", "Dark Chocolate", "Maple", "Rosemary",
         "Cheddar", "Berry", "Trailhead", "Campfire", "Movie Night"),
        (
            ProductType("Popcorn", (3, 7), ("game-night", "cozy-night-in", "family-day"), (1, 1, 2),
                        "air-popped and lightly seasoned",
                        ("Sea Salt", "Smoky", "Caramel", "Cheddar", "Movie Night", "Truffle",
                         "Chili Lime", "Butter")),
            ProductType("Trail Mix", (4, 9), ("camping", "picnic"), (1, 1, 2),
                        "nuts, seeds and dried fruit for the road",
                        ("Trailhead", "Campfire", "Berry", "Honey Roasted", "Spicy", "Maple",
                         "Summit")),
            ProductType("Chocolate Bar", (3, 8), ("cozy-night-in", "picnic", "self-care"),
                        (2, 1, 1), "small-batch chocolate, snapped into squares",
                        ("Sea Salt", "Dark", "Orange", "Hazelnut", "Raspberry", "Espresso", "Mint",
                         "Milk")),
            ProductType("Crackers", (3, 7), ("picnic", "game-night"), (1, 1, 2),
                        "crisp crackers made for cheese boards",
                        ("Rosemary", "Sea Salt", "Cheddar", "Seeded", "Black Pepper", "Olive Oil")),
            ProductType("Fruit Leather Pack", (4, 10), ("picnic", "family-day"), (0, 3, 2),
                        "real-fruit rolls with no added sugar",
                        ("Berry", "Mango", "Apple", "Strawberry", "Tropical", "Cherry")),
            ProductType("Snack Box", (20, 45), ("game-night", "party"), (1, 1, 2),
                        "a crowd-pleasing box of sweet and salty bites",
                        ("Movie Night", "Game Day", "Party", "Campfire", "Sweet & Salty",
                         "Picnic")),
            ProductType("Veggie Chips", (3, 6), ("picnic", "game-night"), (1, 1, 2),
                        "thin-cut vegetable crisps",
                        ("Beetroot", "Sweet Potato", "Parsnip", "Kale", "Rainbow", "Sea Salt")),
        ),
    ),
    "candles": (
        ("Cedar & Smoke", "Fig Leaf", "Vanilla Bean", "Sea Breeze", "Amber Woods", "Lavender",
         "Fireside", "Orange Blossom", "Tobacco & Oak", "Rain Garden", "Pine Cabin"),
        (
            ProductType("Soy Candle", (12, 34), ("cozy-night-in", "self-care", "date-night"),
                        (1, 0, 0), "a slow-burning soy candle with a cotton wick"),
            ProductType("Beeswax Taper Set", (10, 24), ("date-night", "cozy-night-in"), (1, 0, 0),
                        "hand-dipped beeswax tapers"),
            ProductType("Reed Diffuser", (18, 42), ("self-care",), (1, 0, 0),
                        "a room scent that lasts for weeks"),
            ProductType("Tealight Pack", (5, 12), ("cozy-night-in", "date-night"), (1, 0, 0),
                        "unscented tealights for a soft glow"),
            ProductType("Candle Trio", (25, 55), ("cozy-night-in",), (1, 0, 0),
                        "three small candles in matching jars"),
        ),
    ),
    "books": (
        ("The Quiet Shore", "Wild Things Grow", "Salt & Ember", "The Long Weekend", "Northbound",
         "Small Kitchens", "Under Open Skies", "The Puzzle Hour", "Moon Over Maple Street",
         "Good Company", "Slow Sundays", "Trails Less Taken"),
        (
            ProductType("Paperback Novel", (9, 18), ("cozy-night-in", "self-care"), (1, 0, 0),
                        "a page-turning novel for a long afternoon"),
            ProductType("Cookbook", (18, 40), ("brunch", "date-night"), (2, 0, 1),
                        "easy weekend recipes with beautiful photography"),
            ProductType("Picture Book", (7, 18), ("family-day", "cozy-night-in"), (0, 3, 1),
                        "a bedtime story with warm illustrations"),
            ProductType("Puzzle Book", (6, 14), ("family-day", "cozy-night-in"), (1, 1, 1),
                        "crosswords, logic grids and riddles"),
            ProductType("Hiking Guide", (14, 28), ("camping", "picnic"), (1, 0, 1),
                        "routes, maps and tips for day hikes"),
        ),
    ),
    "outdoor": (
        ("Trailblazer", "Meadow", "Summit", "Riverside", "Basecamp", "Wildflower", "Sierra",
         "Lakeside", "Northwind", "Canyon", "Evergreen", "Coastline"),
        (
            ProductType("Picnic Blanket", (24, 70), ("picnic", "family-day"), (1, 0, 2),
                        "a water-resistant blanket that folds into a strap"),
            ProductType("Camping Lantern", (18, 45), ("camping",), (1, 0, 1),
                        "a rechargeable lantern with a warm dimmable glow"),
            ProductType("Insulated Bottle", (15, 38), ("camping", "picnic"), (2, 1, 1),
                        "keeps drinks cold for a full day"),
            ProductType("Folding Camp Chair", (30, 90), ("camping", "picnic"), (1, 0, 1),
                        "a sturdy chair that packs flat"),
            ProductType("Frisbee", (6, 16), ("picnic", "family-day"), (1, 2, 2),
                        "a soft-flight disc for the park"),
            ProductType("Daypack", (35, 110), ("camping",), (2, 0, 1),
                        "a light backpack with a padded laptop sleeve"),
            ProductType("Hammock", (40, 120), ("camping", "self-care"), (1, 0, 1),
                        "a parachute-nylon hammock with tree straps"),
            ProductType("Kite", (12, 35), ("family-day", "picnic"), (0, 3, 2),
                        "a bright kite that flies in a light breeze"),
            ProductType("Two-Person Tent", (80, 150), ("camping",), (1, 0, 1),
                        "a three-season tent that pitches in minutes"),
        ),
    ),
    "kitchen": (
        ("Cast Iron", "Copper", "Stoneware", "Bamboo", "Enamel", "Olive Wood", "Terracotta",
         "Brushed Steel", "Speckled"),
        (
            ProductType("Skillet", (25, 70), ("brunch", "camping"), (1, 0, 1),
                        "a pan that goes from stove to campfire",
                        ("Cast Iron", "Carbon Steel", "Enamel", "Pre-Seasoned")),
            ProductType("Waffle Maker", (30, 80), ("brunch", "family-day"), (1, 0, 2),
                        "crisp golden waffles in minutes",
                        ("Classic", "Belgian", "Heart-Shaped", "Brushed Steel", "Retro")),
            ProductType("Pizza Stone", (25, 55), ("game-night", "date-night"), (1, 0, 1),
                        "restaurant-crisp crusts from a home oven",
                        ("Cordierite", "Round", "Rectangular", "Terracotta")),
            ProductType("Spice Set", (15, 40), ("date-night",), (1, 0, 0),
                        "twelve spices in refillable jars"),
            ProductType("Cocktail Shaker Set", (20, 55), ("party", "date-night"), (1, 0, 0),
                        "a shaker, jigger and strainer",
                        ("Copper", "Brushed Steel", "Gold", "Matte Black", "Boston")),
            ProductType("Roasting Sticks", (8, 18), ("camping", "family-day"), (0, 1, 2),
                        "telescoping sticks for marshmallows"),
            ProductType("Mug Pair", (14, 32), ("cozy-night-in", "brunch"), (1, 0, 0),
                        "two hand-glazed mugs"),
            ProductType("Popcorn Maker", (25, 60), ("game-night", "family-day"), (0, 1, 2),
                        "a stovetop popper for movie nights"),
        ),
    ),
    "games": (
        ("Castles & Kites", "Night Market", "Treasure Hunt", "Word Garden", "Lighthouse",
         "Space Station", "Dragon Race", "Pocket Safari", "Mystery Manor", "Harbor Town",
         "Cloud City", "Pirate Cove"),
        (
            ProductType("Card Game", (8, 25), ("game-night", "party", "camping"), (2, 1, 2),
                        "quick rounds, easy rules, lots of laughs"),
            ProductType("Board Game", (20, 60), ("game-night", "family-day"), (1, 1, 2),
                        "a board game for two to six players"),
            ProductType("Jigsaw Puzzle", (14, 30), ("cozy-night-in", "family-day"), (1, 1, 1),
                        "a 1,000-piece puzzle with a striking picture"),
            ProductType("Trivia Game", (15, 35), ("party", "game-night"), (2, 0, 1),
                        "hundreds of questions for teams"),
            ProductType("Lawn Game", (25, 70), ("picnic", "family-day", "party"), (1, 1, 2),
                        "an outdoor game for the garden or the park"),
            ProductType("Memory Game", (8, 20), ("family-day",), (0, 3, 1),
                        "matching cards for little players"),
            ProductType("Strategy Game", (35, 75), ("game-night",), (1, 0, 0),
                        "a deep game of trading and building"),
        ),
    ),
    "wellness": (
        ("Eucalyptus", "Lavender", "Rose", "Cedar", "Citrus", "Oat Milk", "Sea Salt", "Bergamot",
         "Calm", "Restore"),
        (
            ProductType("Bath Soak", (8, 22), ("self-care", "cozy-night-in"), (1, 0, 0),
                        "mineral salts and botanicals for a long bath"),
            ProductType("Yoga Mat", (25, 80), ("self-care",), (1, 0, 0),
                        "a grippy, cushioned mat",
                        ("Cork", "Natural Rubber", "Travel", "Extra Thick", "Eco")),
            ProductType("Face Mask Set", (10, 28), ("self-care", "date-night"), (1, 0, 0),
                        "five sheet masks for a spa night"),
            ProductType("Massage Oil", (12, 30), ("self-care", "date-night"), (1, 0, 0),
                        "a light oil with a calming scent"),
            ProductType("Sleep Mask", (8, 20), ("self-care",), (1, 0, 0),
                        "a silk mask that blocks out the light",
                        ("Mulberry Silk", "Cooling", "Contoured", "Lavender")),
            ProductType("Journal", (10, 25), ("self-care",), (2, 0, 0),
                        "guided prompts for a reflective weekend",
                        ("Gratitude", "Linen", "Morning Pages", "Five-Minute", "Dot Grid")),
        ),
    ),
    "crafts": (
        ("Rainbow", "Little Makers", "Forest Friends", "Ocean", "Starry", "Clay Studio",
         "Paper Garden", "Sunshine"),
        (
            ProductType("Watercolor Kit", (10, 30), ("family-day", "cozy-night-in"), (1, 2, 1),
                        "paints, brushes and thick paper"),
            ProductType("Bracelet Kit", (8, 18), ("family-day",), (0, 3, 1),
                        "threads and beads for friendship bracelets"),
            ProductType("Modelling Clay Set", (12, 28), ("family-day",), (0, 3, 1),
                        "air-dry clay in twelve colours"),
            ProductType("Origami Pack", (5, 12), ("family-day", "cozy-night-in"), (1, 1, 1),
                        "patterned paper and step-by-step folds"),
        ),
    ),
}

OCCASION_LINES = {
    "cozy-night-in": "Made for a slow night in.",
    "picnic": "Packs easily for a picnic in the park.",
    "camping": "Built for nights under the stars.",
    "game-night": "Brings everyone round the table.",
    "brunch": "Perfect for a lazy weekend brunch.",
    "self-care": "A small ritual for a calmer weekend.",
    "family-day": "Fun for the whole family.",
    "party": "A hit when friends come over.",
    "date-night": "Sets the mood for a night for two.",
}
PROPERTY_TAGS = ("organic", "vegan", "gift", "eco", "handmade", "new", "local")
# fmt: on
