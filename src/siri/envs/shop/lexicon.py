"""The generator's vocabulary for the synthetic shop catalogue (docs/environments.md, "Shop").

WebShop scraped ~1.2M Amazon products; we cannot download them, so products are generated from this
vocabulary. Each subcategory lists its product types (the noun phrase a shopper names, also the
product's `query`), material/ingredient nouns used in titles, its attribute phrases and its option
kinds. The vocabulary is chosen so that, under the reward's own fuzzy matcher, no two attributes of a
subcategory match each other and no two option values a product can carry match each other: that keeps
every term of the reward meaningful (tests check it). All text here is invented for this project.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Subcategory:
    """One leaf family of the category tree; `types[-1]` is held out of train/eval (the unseen split)."""

    name: str
    types: tuple[str, ...]
    materials: tuple[str, ...]
    attributes: tuple[str, ...]
    option_kinds: tuple[tuple[str, str], ...]  # (option kind shown on the page, value pool name)
    price: tuple[float, float]  # base price range in dollars


@dataclass(frozen=True)
class Category:
    key: str  # task_type, e.g. "beauty"
    root: str  # first element of the category path
    subcategories: tuple[Subcategory, ...]
    blurbs: tuple[str, ...]  # neutral sentences: never contain an attribute phrase


# Base colour words, in the order normalization tries them (see reward.normalize_color).
COLOR_WORDS: tuple[str, ...] = (
    "black", "white", "blue", "red", "green", "grey", "pink", "beige",
    "brown", "purple", "yellow", "orange", "silver", "gold", "teal", "ivory",
)

# Option value pools. Colours hold one display name per base colour.
OPTION_POOLS: dict[str, tuple[str, ...]] = {
    "color": ("black", "white", "navy blue", "red", "forest green", "light grey", "pink", "beige",
              "brown", "purple", "yellow", "orange", "silver", "rose gold", "teal", "ivory"),
    "apparel_size": ("xs", "s", "m", "l", "xl", "xxl"),
    "shoe_size": ("6", "7", "8", "9", "10", "11", "12"),
    "beauty_size": ("mini", "travel size", "regular", "family size", "salon size"),
    "scent": ("unscented", "lavender", "citrus", "vanilla", "eucalyptus", "jasmine"),
    "flavor": ("original", "vanilla", "chocolate", "strawberry", "sea salt", "cinnamon", "mint"),
    "pack": ("1 pack", "2 pack", "3 pack", "4 pack", "6 pack"),
    "weight": ("8 ounce", "12 ounce", "1 lb", "2 lb", "5 lb"),
    "bed_size": ("twin", "full", "queen", "king"),
    "style": ("standard", "pro", "max", "lite"),
    "cable_length": ("3 ft", "6 ft", "10 ft"),
    "capacity": ("12 oz", "16 oz", "20 oz", "32 oz"),
}


def _sub(name, types, materials, attributes, option_kinds, price) -> Subcategory:
    return Subcategory(name, tuple(types), tuple(materials), tuple(attributes), tuple(option_kinds), price)


CATEGORIES: tuple[Category, ...] = (
    Category("beauty", "Beauty & Personal Care", (
        _sub("Hair Care", ["shampoo", "conditioner", "hair mask", "hair oil"],
             ["argan", "keratin", "biotin", "tea tree", "avocado"],
             ["sulfate free", "paraben free", "color safe", "cruelty free", "natural ingredients",
              "dry hair", "damaged hair", "salon quality"],
             [("size", "beauty_size"), ("scent", "scent")], (6.0, 38.0)),
        _sub("Skin Care", ["face cream", "face serum", "sunscreen", "face wash"],
             ["retinol", "aloe", "collagen", "niacinamide", "charcoal"],
             ["sensitive skin", "fragrance free", "anti aging", "hyaluronic acid", "vitamin c",
              "dermatologist tested", "non greasy", "oil free"],
             [("size", "beauty_size")], (8.0, 60.0)),
        _sub("Makeup", ["lipstick", "mascara", "foundation", "eyeliner"],
             ["velvet", "satin", "mineral", "pigment", "gel"],
             ["long lasting", "waterproof", "smudge proof", "matte finish", "vegan formula",
              "cruelty free", "easy to apply", "full coverage"],
             [("color", "color")], (5.0, 45.0)),
        _sub("Oral Care", ["toothpaste", "toothbrush", "mouthwash", "dental floss"],
             ["peppermint", "bamboo", "charcoal", "spearmint", "enamel"],
             ["fluoride free", "whitening", "fresh breath", "sensitive teeth", "soft bristles",
              "alcohol free", "travel friendly", "gum care"],
             [("size", "pack")], (3.0, 30.0)),
    ), ("Made for daily routines at home or on the go.", "Each batch is checked before it ships.",
        "A thoughtful gift for friends and family.", "Backed by our friendly customer support.")),
    Category("grocery", "Grocery & Gourmet Food", (
        _sub("Snacks", ["granola bars", "potato chips", "trail mix", "beef jerky"],
             ["almond", "oat", "cashew", "cranberry", "quinoa"],
             ["gluten free", "non gmo", "low sugar", "high protein", "individually wrapped",
              "keto friendly", "whole grain", "kosher certified"],
             [("flavor", "flavor"), ("size", "pack")], (4.0, 40.0)),
        _sub("Beverages", ["green tea", "coffee beans", "sparkling water", "energy drink"],
             ["matcha", "arabica", "ginger", "hibiscus", "guarana"],
             ["sugar free", "caffeine free", "usda organic", "zero calorie", "fair trade",
              "natural flavors", "low sodium", "dark roast"],
             [("flavor", "flavor"), ("size", "pack")], (5.0, 55.0)),
        _sub("Pantry Staples", ["olive oil", "pasta", "peanut butter", "honey"],
             ["durum", "clover", "manuka", "semolina", "kalamata"],
             ["extra virgin", "cold pressed", "non gmo", "gluten free", "raw unfiltered",
              "usda organic", "kosher certified", "low sodium"],
             [("size", "weight")], (4.0, 48.0)),
    ), ("Packed fresh and sealed for the trip to your pantry.", "Enjoy it at home, at work or outdoors.",
        "A favourite of home cooks everywhere.", "Store in a cool place away from sunlight.")),
    Category("fashion", "Clothing, Shoes & Jewelry", (
        _sub("Women", ["maxi dress", "blouse", "leggings", "cardigan"],
             ["chiffon", "linen", "rayon", "modal", "knit"],
             ["machine wash", "long sleeve", "short sleeve", "high waist", "button closure",
              "relaxed fit", "pull on", "stretch fabric"],
             [("color", "color"), ("size", "apparel_size")], (12.0, 70.0)),
        _sub("Men", ["hoodie", "polo shirt", "chino pants", "crew socks"],
             ["fleece", "pique", "twill", "denim", "merino"],
             ["machine wash", "slim fit", "classic fit", "moisture wicking", "wrinkle free",
              "quick dry", "drawstring closure", "tagless"],
             [("color", "color"), ("size", "apparel_size")], (10.0, 65.0)),
        _sub("Shoes", ["running shoes", "sandals", "ankle boots", "slippers"],
             ["suede", "leather", "mesh", "canvas", "sherpa"],
             ["non slip", "rubber sole", "memory foam", "arch support", "lightweight",
              "breathable", "wide width", "waterproof"],
             [("color", "color"), ("size", "shoe_size")], (18.0, 140.0)),
    ), ("Cut for comfort from morning to night.", "Pairs easily with the rest of your wardrobe.",
        "A great gift for birthdays and holidays.", "Check the size chart before ordering.")),
    Category("electronics", "Electronics", (
        _sub("Audio", ["headphones", "earbuds", "bluetooth speaker", "soundbar"],
             ["studio", "titanium", "graphene", "neodymium", "aluminum"],
             ["noise cancelling", "wireless", "long battery life", "water resistant", "hands free",
              "built in microphone", "deep bass", "fast charging"],
             [("color", "color"), ("style", "style")], (20.0, 1200.0)),
        _sub("Accessories", ["phone case", "charging cable", "power bank", "screen protector"],
             ["silicone", "nylon", "kevlar", "carbon", "polymer"],
             ["fast charging", "shockproof", "usb c", "tempered glass", "slim design", "easy install",
              "scratch resistant", "magnetic"],
             [("color", "color"), ("length", "cable_length")], (6.0, 60.0)),
        _sub("Computers", ["keyboard", "mouse", "monitor", "laptop stand"],
             ["aluminum", "walnut", "acrylic", "graphite", "steel"],
             ["ergonomic design", "plug and play", "rgb backlit", "adjustable height",
              "high resolution", "wireless", "rechargeable battery", "quiet keys"],
             [("color", "color"), ("style", "style")], (15.0, 1400.0)),
    ), ("Works with most phones, tablets and computers.", "Covered by a one year limited warranty.",
        "Setup takes only a few minutes.", "Ships in recyclable packaging.")),
    Category("home", "Home & Kitchen", (
        _sub("Kitchen", ["coffee mug", "cutting board", "water bottle", "frying pan"],
             ["ceramic", "bamboo", "stainless steel", "cast iron", "glass"],
             ["dishwasher safe", "bpa free", "non stick", "heavy duty", "easy clean", "leak proof",
              "microwave safe", "insulated"],
             [("color", "color"), ("size", "capacity")], (8.0, 80.0)),
        _sub("Bedding", ["pillow", "duvet cover", "bed sheets", "throw blanket"],
             ["cotton", "microfiber", "flannel", "bamboo", "percale"],
             ["machine washable", "hypoallergenic", "deep pocket", "breathable", "wrinkle resistant",
              "ultra soft", "cooling", "down alternative"],
             [("color", "color"), ("size", "bed_size")], (15.0, 150.0)),
        _sub("Garden", ["planter", "garden hose", "bird feeder", "solar lights"],
             ["terracotta", "cedar", "resin", "copper", "rattan"],
             ["weather resistant", "easy assembly", "drainage hole", "rust proof", "solar powered",
              "heavy duty", "expandable", "outdoor use"],
             [("color", "color")], (10.0, 90.0)),
    ), ("Designed to fit right into your home.", "Built to be used every day for years.",
        "A lovely housewarming gift.", "Our support team is happy to help with any question.")),
)

BRANDS: tuple[str, ...] = (
    "Lumina", "Velvo", "Northpeak", "Brightwell", "Quillon", "Marisol", "Tandor", "Kestrel",
    "Ovelia", "Bramble", "Corvane", "Zephyra", "Holloway", "Pinecrest", "Auralis", "Daventry",
    "Solenne", "Wexford", "Ardenne", "Calloway", "Fennick", "Juniper", "Mistral", "Oakhurst",
    "Rivana", "Stellan", "Thistle", "Umbria", "Valdora", "Wrenfield", "Yarrow", "Zenthos",
)

# Instruction openings (WebShop's instruction_text is a human sentence; ours are templates).
INSTRUCTION_TEMPLATES: tuple[str, ...] = (
    "i am looking for {article} {type} that is {attrs}",
    "i need {article} {type} which is {attrs}",
    "find me {article} {attrs} {type}",
    "i want to buy {article} {type} that is {attrs}",
    "i would like {article} {attrs} {type}",
)

REVIEW_TITLES: tuple[str, ...] = ("Just what I wanted", "Pretty good", "Not for me", "Works well",
                                  "Would buy again", "Decent for the price")
REVIEW_BODIES: tuple[str, ...] = ("Arrived on time and matches the listing.",
                                  "Does the job, nothing more.", "My family uses it every day.",
                                  "Returned it, the fit was off for me.", "Good value overall.")

# Generic endings for attribute bullet points (never an attribute phrase themselves).
BULLET_TAILS: tuple[str, ...] = ("thoughtfully designed and quality checked",
                                 "one of the reasons customers keep coming back",
                                 "tested by our team before launch", "exactly as described on the label")
