/**
 * A deterministic, realistic synthetic catalog: a three-level tree of about 200 categories in
 * the sample store's trade (building and waterproofing products), Shopify-like handles and
 * titles, vendors, statuses, and a realistic share of products already categorised. The same
 * product index always gives the same product.
 *
 * Products agree with their categories, with noise, so that suggestions learned from the
 * catalog can be measured on it (README, "Sample data"). Each product has a true category (a
 * leaf: level 3, or a level 2 without children). Its name is built from that category's
 * vocabulary (its own name, its parent's, a few hand-written words), its Type is usually the
 * level-2 or level-3 name, its vendor is one that specialises in the category's level-1 area,
 * its tags name the area and its applications. Noise: misleading or generic names, other
 * vendors, generic or empty Types, a second unrelated category, assignments that stop at level
 * 2 or 1, and uncategorised products (about 40%).
 */
import { SAMPLE_IMAGE_COUNT, sampleImagePath } from '../sample-data/sample-images.js';

/** mulberry32: small, fast, good enough for test data, and reproducible. */
export function randomGenerator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    integer: (maxExclusive: number) => Math.floor(next() * maxExclusive),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
  };
}

const TREE: Record<string, Record<string, string[]>> = {
  'Adhesives & Sealants': {
    'Construction Adhesives': [
      'Polyurethane Adhesives',
      'MS Polymer Adhesives',
      'Epoxy Adhesives',
      'Solvent Adhesives',
    ],
    Sealants: [
      'Silicone Sealants',
      'Polyurethane Sealants',
      'Hybrid Sealants',
      'Acrylic Sealants',
      'Fire Rated Sealants',
    ],
    'Tile Adhesives': ['Cement Based', 'Ready Mixed', 'Two Part', 'Rapid Set'],
    'Glazing Compounds': ['Structural Glazing', 'Weatherseal'],
  },
  'Waterproofing Products': {
    'Liquid Membranes': [
      'Polyurethane Membranes',
      'Acrylic Membranes',
      'Cementitious Membranes',
      'Bituminous Membranes',
    ],
    'Sheet Membranes': ['Torch On', 'Self Adhered', 'PVC Sheet', 'EPDM Sheet'],
    'Waterproofing Primers': ['Solvent Primers', 'Water Based Primers'],
    'Drainage & Protection': ['Drainage Cells', 'Protection Boards', 'Geotextiles'],
    Reinforcement: ['Bond Breakers', 'Reinforcing Fabric', 'Corner Tapes'],
  },
  'Tiling Products': {
    Grouts: ['Cement Grouts', 'Epoxy Grouts', 'Urethane Grouts'],
    'Levelling Compounds': ['Self Levelling', 'Patching Compounds'],
    'Tile Trims': ['Aluminium Trims', 'Stainless Trims', 'PVC Trims'],
    'Tile Underlay': ['Uncoupling Membranes', 'Acoustic Underlay'],
  },
  'Adhesion Promoters & Primers': {
    'Concrete Primers': ['Epoxy Primers', 'Acrylic Primers'],
    'Metal Primers': ['Etch Primers', 'Zinc Primers'],
    'Porous Substrate Primers': [],
  },
  'Concrete Preparation & Repairs': {
    'Repair Mortars': ['Structural Mortars', 'Render Mortars', 'Fairing Coats'],
    'Crack Injection': ['Epoxy Injection', 'Polyurethane Injection'],
    'Surface Preparation': ['Etchers', 'Cleaners', 'Grinding Discs'],
    'Curing Compounds': [],
  },
  'Pedestal Systems': {
    'Adjustable Pedestals': ['Low Height', 'Standard Height', 'High Height'],
    'Pedestal Accessories': ['Levelling Discs', 'Spacer Tabs', 'Slope Correctors'],
  },
  'Trafficable & Protective Coatings': {
    'Floor Coatings': ['Epoxy Coatings', 'Polyaspartic Coatings', 'Acrylic Coatings'],
    'Roof Coatings': ['Reflective Coatings', 'Elastomeric Coatings'],
    'Anti Slip Additives': [],
  },
  'Floor Wastes & Channels': {
    'Floor Wastes': ['Square Wastes', 'Round Wastes', 'Tile Insert Wastes'],
    'Strip Drains': ['Linear Drains', 'Threshold Drains'],
    'Puddle Flanges': [],
  },
  'Trims & Angles': {
    'Angles & Trims': ['Water Stop Angles', 'Shower Screen Angles'],
    'Expansion Joints': ['Movement Joints', 'Joint Covers'],
  },
  'Foam & Backing Rod': {
    'Backing Rod': ['Closed Cell Rod', 'Open Cell Rod'],
    'Expanding Foam': ['Gun Foam', 'Fire Rated Foam'],
  },
  'Solvents & Thinners': { Cleaners: [], Thinners: ['Epoxy Thinners', 'Polyurethane Thinners'] },
  Tapes: { 'Duct Tapes': [], 'Masking Tapes': ['Paper Masking', 'Fine Line'], 'Butyl Tapes': [] },
  'Trade Tools': {
    'Application Tools': ['Caulking Guns', 'Trowels', 'Rollers', 'Brushes'],
    'Mixing Tools': ['Mixing Paddles', 'Buckets'],
    'Cutting Tools': ['Knives', 'Blades'],
    'Safety Gear': ['Gloves', 'Respirators', 'Eye Protection'],
  },
  Insulation: {
    'Thermal Insulation': ['Bulk Insulation', 'Reflective Foil'],
    'Acoustic Insulation': ['Acoustic Batts', 'Acoustic Membranes'],
  },
  Fixings: {
    Anchors: ['Chemical Anchors', 'Mechanical Anchors'],
    Screws: ['Decking Screws', 'Roofing Screws'],
  },
  Vendors: {},
};

/** Vendors and the level-1 areas they mostly sell in. */
const VENDOR_AREAS: Record<string, string[]> = {
  Ardex: ['Waterproofing Products', 'Tiling Products', 'Concrete Preparation & Repairs'],
  Bostik: ['Adhesives & Sealants', 'Foam & Backing Rod', 'Tapes'],
  Sika: ['Adhesives & Sealants', 'Waterproofing Products', 'Concrete Preparation & Repairs'],
  Mapei: ['Tiling Products', 'Waterproofing Products', 'Adhesion Promoters & Primers'],
  Davco: ['Tiling Products', 'Waterproofing Products'],
  RLA: ['Adhesives & Sealants', 'Solvents & Thinners', 'Trade Tools'],
  'Wet Seal': ['Waterproofing Products', 'Adhesion Promoters & Primers'],
  Tremco: ['Adhesives & Sealants', 'Waterproofing Products'],
  Soudal: ['Adhesives & Sealants', 'Foam & Backing Rod'],
  Dunlop: ['Tiling Products', 'Adhesives & Sealants'],
  Gripset: ['Waterproofing Products', 'Adhesion Promoters & Primers'],
  Parchem: ['Concrete Preparation & Repairs', 'Trafficable & Protective Coatings'],
  Fosroc: ['Concrete Preparation & Repairs', 'Adhesives & Sealants'],
  Selleys: ['Adhesives & Sealants', 'Solvents & Thinners'],
  Megaflex: ['Waterproofing Products', 'Trafficable & Protective Coatings'],
  Silcor: ['Waterproofing Products'],
  Duram: ['Trafficable & Protective Coatings', 'Waterproofing Products'],
  Crommelin: ['Trafficable & Protective Coatings', 'Waterproofing Products'],
  Nuvo: ['Floor Wastes & Channels', 'Trims & Angles'],
  Flowcrete: ['Trafficable & Protective Coatings', 'Concrete Preparation & Repairs'],
  Bayset: ['Trims & Angles', 'Floor Wastes & Channels', 'Tapes'],
  Laticrete: ['Tiling Products', 'Waterproofing Products'],
  Weber: ['Tiling Products', 'Concrete Preparation & Repairs'],
  Schluter: ['Trims & Angles', 'Tiling Products'],
  Vitrex: ['Trade Tools'],
  Stormtech: ['Floor Wastes & Channels'],
  Buzon: ['Pedestal Systems'],
  Kingspan: ['Insulation'],
  Ramset: ['Fixings', 'Trade Tools'],
  Hilti: ['Fixings', 'Foam & Backing Rod', 'Trade Tools'],
};
const VENDORS = Object.keys(VENDOR_AREAS);

/** Per level-1 area: adjectives, sizes, generic Types, and applications (for tags and text). */
interface AreaWords {
  adjectives: string[];
  sizes: string[];
  types: string[];
  uses: string[];
}
const AREA_WORDS: Record<string, AreaWords> = {
  'Adhesives & Sealants': {
    adjectives: [
      'High Tack',
      'Fast Grab',
      'Paintable',
      'Flexible',
      'Low Modulus',
      'Neutral Cure',
      'Marine Grade',
    ],
    sizes: ['290ml', '300ml', '600ml Sausage', '20 Pack'],
    types: ['Sealant', 'Adhesive'],
    uses: ['joints', 'glazing', 'bathroom', 'kitchen', 'facade', 'bonding'],
  },
  'Waterproofing Products': {
    adjectives: ['Flexible', 'UV Stable', 'Fibre Reinforced', 'Trafficable', 'Rapid Cure'],
    sizes: ['4L', '10L', '15L', '20L', '1m x 10m Roll', 'Kit'],
    types: ['Membrane', 'Waterproofing'],
    uses: ['balcony', 'shower', 'wet area', 'roof', 'planter box', 'basement', 'podium'],
  },
  'Tiling Products': {
    adjectives: ['Flexible', 'Rapid Set', 'Non Slip', 'Stain Resistant', 'Premium'],
    sizes: ['5kg', '10kg', '20kg', '2.5m', '3m'],
    types: ['Tile Accessory', 'Tiling'],
    uses: ['floor tiles', 'wall tiles', 'shower', 'pool', 'large format tiles', 'splashback'],
  },
  'Adhesion Promoters & Primers': {
    adjectives: ['Penetrating', 'Fast Dry', 'Low Odour', 'High Solids', 'Moisture Tolerant'],
    sizes: ['1L', '4L', '10L', '20L'],
    types: ['Primer'],
    uses: ['concrete', 'timber', 'metal', 'masonry', 'substrate preparation'],
  },
  'Concrete Preparation & Repairs': {
    adjectives: ['High Build', 'Structural', 'Fibre Reinforced', 'Rapid', 'Shrinkage Compensated'],
    sizes: ['20kg', '25kg', '5L', '20L', 'Kit'],
    types: ['Concrete Repair'],
    uses: ['concrete repair', 'spalling', 'cracks', 'car park', 'render', 'slab'],
  },
  'Pedestal Systems': {
    adjectives: ['Adjustable', 'Self Levelling', 'Heavy Duty', 'UV Stabilised'],
    sizes: ['28-40mm', '40-70mm', '70-120mm', '120-220mm', 'Box of 50'],
    types: ['Pedestal'],
    uses: ['decking', 'pavers', 'rooftop terrace', 'balcony', 'raised floor'],
  },
  'Trafficable & Protective Coatings': {
    adjectives: ['Trafficable', 'Anti Slip', 'High Gloss', 'Satin', 'Heat Reflective'],
    sizes: ['4L', '10L', '15L', '20L', 'Kit'],
    types: ['Coating'],
    uses: ['garage floor', 'warehouse', 'roof', 'car park', 'walkway'],
  },
  'Floor Wastes & Channels': {
    adjectives: ['Stainless', 'Tile Insert', 'Brass', 'Slimline', 'Heelguard'],
    sizes: ['100mm', '150mm', '600mm', '900mm', '1200mm'],
    types: ['Drainage', 'Plumbing'],
    uses: ['shower', 'bathroom', 'balcony', 'laundry', 'drainage'],
  },
  'Trims & Angles': {
    adjectives: ['Aluminium', 'Stainless', 'Anodised', 'Matt Black', 'Brushed'],
    sizes: ['2.4m', '3m', '10mm', '12mm', '20mm'],
    types: ['Trim', 'Angle'],
    uses: ['shower', 'tile edge', 'step edge', 'movement joint'],
  },
  'Foam & Backing Rod': {
    adjectives: ['Closed Cell', 'Expanding', 'Low Expansion', 'Fire Rated'],
    sizes: ['6mm', '10mm', '20mm', '750ml', '500ml'],
    types: ['Foam'],
    uses: ['joints', 'gap filling', 'window frames', 'penetrations'],
  },
  'Solvents & Thinners': {
    adjectives: ['Fast Evaporating', 'Low Odour', 'Industrial', 'Citrus'],
    sizes: ['1L', '4L', '20L'],
    types: ['Solvent', 'Cleaner'],
    uses: ['clean up', 'degreasing', 'tool cleaning', 'thinning'],
  },
  Tapes: {
    adjectives: ['High Tack', 'UV Resistant', 'Waterproof', 'Clean Release'],
    sizes: ['24mm x 50m', '48mm x 30m', '36mm x 50m', '100mm x 10m'],
    types: ['Tape'],
    uses: ['masking', 'sealing', 'flashing', 'painting'],
  },
  'Trade Tools': {
    adjectives: ['Professional', 'Heavy Duty', 'Stainless', 'Ergonomic'],
    sizes: ['', '', 'Large', 'Small', 'Pack of 10'],
    types: ['Tool', 'Accessory'],
    uses: ['application', 'site safety', 'mixing', 'cutting'],
  },
  Insulation: {
    adjectives: ['High R Value', 'Acoustic', 'Reflective', 'Lightweight'],
    sizes: ['R2.5', 'R3.5', '1200 x 600', '1350mm x 30m'],
    types: ['Insulation'],
    uses: ['ceiling', 'wall', 'underfloor', 'roof', 'soundproofing'],
  },
  Fixings: {
    adjectives: ['Galvanised', 'Stainless', 'Heavy Duty', 'Self Drilling'],
    sizes: ['M10', 'M12', '10g x 50mm', 'Box of 100', '300ml'],
    types: ['Fixing', 'Hardware'],
    uses: ['concrete', 'masonry', 'steel', 'timber', 'roofing'],
  },
};
const NO_AREA: AreaWords = { adjectives: [], sizes: ['Each'], types: [], uses: ['general'] };

/** Hand-written product nouns for categories whose name alone is thin. */
const EXTRA_NOUNS: Record<string, string[]> = {
  'Polyurethane Adhesives': ['PU Adhesive', 'Construction Glue'],
  'MS Polymer Adhesives': ['Hybrid Polymer Adhesive', 'Sealant Adhesive'],
  'Epoxy Adhesives': ['Two Part Epoxy', 'Epoxy Glue'],
  'Silicone Sealants': ['Silicone', 'Sanitary Silicone'],
  'Polyurethane Sealants': ['PU Sealant', 'Joint Sealant'],
  'Fire Rated Sealants': ['Fire Sealant', 'Intumescent Sealant'],
  'Cement Based': ['Tile Adhesive', 'Tile Cement'],
  'Ready Mixed': ['Tile Mastic', 'Premixed Tile Adhesive'],
  'Polyurethane Membranes': ['PU Membrane', 'Liquid Membrane'],
  'Cementitious Membranes': ['Cementitious Slurry', 'Tanking Slurry'],
  'Bituminous Membranes': ['Bitumen Emulsion', 'Tar Membrane'],
  'Torch On': ['Torch On Sheet', 'Bitumen Sheet'],
  'Self Adhered': ['Peel and Stick Membrane'],
  'Drainage Cells': ['Drain Cell', 'Drainage Mat'],
  'Bond Breakers': ['Bond Breaker Tape'],
  'Reinforcing Fabric': ['Reinforcing Mesh', 'Polyester Fabric'],
  'Cement Grouts': ['Sanded Grout', 'Tile Grout'],
  'Epoxy Grouts': ['Epoxy Tile Grout'],
  'Self Levelling': ['Floor Leveller', 'Self Leveller'],
  'Uncoupling Membranes': ['Uncoupling Mat'],
  'Structural Mortars': ['Repair Mortar', 'Patching Mortar'],
  'Epoxy Injection': ['Injection Resin', 'Crack Filler'],
  'Polyurethane Injection': ['Injection Foam', 'Leak Seal Resin'],
  'Grinding Discs': ['Diamond Cup Wheel', 'Grinding Wheel'],
  'Adjustable Pedestals': ['Deck Pedestal', 'Paver Support'],
  'Epoxy Coatings': ['Epoxy Floor Paint', 'Floor Epoxy'],
  'Reflective Coatings': ['Cool Roof Paint', 'Roof Paint'],
  'Square Wastes': ['Square Grate', 'Floor Grate'],
  'Linear Drains': ['Linear Grate', 'Channel Drain'],
  'Closed Cell Rod': ['Backer Rod', 'Foam Rod'],
  'Gun Foam': ['Expanding Foam', 'PU Foam'],
  'Caulking Guns': ['Sealant Gun', 'Skeleton Gun'],
  Trowels: ['Notched Trowel', 'Finishing Trowel'],
  Knives: ['Utility Knife', 'Scraper'],
  Gloves: ['Nitrile Gloves', 'Work Gloves'],
  Respirators: ['Half Face Respirator', 'Dust Mask'],
  'Eye Protection': ['Safety Glasses', 'Goggles'],
  'Reflective Foil': ['Sisalation Foil', 'Foil Blanket'],
  'Bulk Insulation': ['Insulation Batts', 'Glasswool Batts'],
  'Chemical Anchors': ['Injection Mortar', 'Anchor Resin'],
  'Mechanical Anchors': ['Sleeve Anchor', 'Wedge Anchor'],
  'Decking Screws': ['Deck Screw', 'Batten Screw'],
};

/** Names that say little about the product (the "misleading or generic" noise). */
const GENERIC_NOUNS = [
  'Multi Purpose Product',
  'Trade Pack',
  'Site Essentials',
  'Pro Series',
  'Accessory',
  'All Rounder',
];
const GENERIC_ADJECTIVES = ['Premium', 'Ultra', 'Pro', 'Original', 'Advanced', 'Classic'];
const GENERIC_TYPES = ['Building Product', 'Hardware', 'Default', 'Trade', 'Other'];
const GENERIC_TAGS = ['new', 'sale', 'bestseller', 'clearance', 'trade only', 'australian made'];
const COLOURS = ['Grey', 'White', 'Black', 'Clear', 'Charcoal', 'Sandstone', 'Terracotta'];

/** Shares of the noise, documented in the README (Sample data). */
export const SYNTHETIC_NOISE = {
  categorised: 0.6,
  /** Name from another category's vocabulary or a generic one. */
  misleadingName: 0.1,
  /** Vendor outside the category's area. */
  offAreaVendor: 0.12,
  /** Type equal to the level-3 (or leaf) name, else the level-2 name, else generic, else empty. */
  typeLevel3: 0.35,
  typeLevel2: 0.3,
  typeGeneric: 0.2,
  /** Of categorised products: also in a second, unrelated category. */
  secondCategory: 0.05,
  /** Of categorised products: assigned only down to level 2, or level 1. */
  stopsAtLevel2: 0.07,
  stopsAtLevel1: 0.03,
  /** Of categorised products: also under Vendors > (its vendor). */
  vendorCategory: 0.08,
} as const;

export interface SyntheticCategory {
  id: number;
  name: string;
  level: 1 | 2 | 3;
  parentId: number | null;
}

/** The category tree, ids 1..n in creation order (parents before children). */
export function syntheticCategories(): SyntheticCategory[] {
  const categories: SyntheticCategory[] = [];
  const add = (name: string, level: 1 | 2 | 3, parentId: number | null) => {
    const category = { id: categories.length + 1, name, level, parentId };
    categories.push(category);
    return category.id;
  };
  for (const [level1, children] of Object.entries(TREE)) {
    const level1Id = add(level1, 1, null);
    for (const [level2, grandchildren] of Object.entries(children)) {
      const level2Id = add(level2, 2, level1Id);
      for (const level3 of grandchildren) add(level3, 3, level2Id);
    }
    if (level1 === 'Vendors') for (const vendor of VENDORS) add(vendor, 2, level1Id);
  }
  return categories;
}

/** "Sealants" → "Sealant", "Brushes" → "Brush", "Knives" → "Knife"; other words unchanged. */
function singular(word: string): string {
  if (word === 'Knives') return 'Knife';
  if (/(sh|ch|ss|x)es$/.test(word)) return word.slice(0, -2);
  if (/[^s]s$/.test(word)) return word.slice(0, -1);
  return word;
}
const lastWord = (name: string) => name.slice(name.lastIndexOf(' ') + 1);
const singularName = (name: string) => {
  const last = lastWord(name);
  return name.slice(0, name.length - last.length) + singular(last);
};
const isPlural = (name: string) => singular(lastWord(name)) !== lastWord(name);

/** What a leaf category's products look like. */
interface Leaf {
  /** The leaf, then its ancestors up to level 1: the assignment chain is this, reversed. */
  path: SyntheticCategory[];
  /** Product nouns: its own (singular) name, hand-written ones, its parent's. */
  nouns: string[];
  adjectives: string[];
  area: AreaWords;
  vendors: string[];
  level2Name: string;
  leafName: string;
  /** Lower-case tags that name the area and the category. */
  tags: string[];
  /** Vendors > (vendor) categories, by vendor name. */
  vendorCategories: Map<string, SyntheticCategory>;
}

interface Model {
  leaves: Leaf[];
  /** Cumulative weights of the leaves: some categories hold many more products than others. */
  cumulative: Float64Array;
  total: number;
}

const models = new WeakMap<readonly SyntheticCategory[], Model>();

function modelOf(categories: readonly SyntheticCategory[]): Model {
  const cached = models.get(categories);
  if (cached) return cached;
  const byId = new Map(categories.map((category) => [category.id, category]));
  const hasChildren = new Set(categories.map((category) => category.parentId));
  const vendorsRoot = categories.find(
    (category) => category.level === 1 && category.name === 'Vendors',
  );
  const vendorCategories = new Map(
    categories
      .filter((category) => vendorsRoot && category.parentId === vendorsRoot.id)
      .map((category) => [category.name, category]),
  );
  const leaves: Leaf[] = [];
  for (const category of categories) {
    if (category.level === 1 || hasChildren.has(category.id)) continue;
    const path: SyntheticCategory[] = [];
    for (
      let at: SyntheticCategory | undefined = category;
      at;
      at = at.parentId === null ? undefined : byId.get(at.parentId)
    ) {
      path.push(at);
    }
    const level1 = path.at(-1)!;
    if (level1 === vendorsRoot) continue;
    const level2 = path.at(-2)!;
    const area = AREA_WORDS[level1.name] ?? NO_AREA;
    const parent = category.level === 3 ? level2 : undefined;
    // "Silicone Sealants" → "Silicone Sealant"; "Torch On" (under Sheet Membranes) → "Torch On Membrane".
    const own = isPlural(category.name)
      ? singularName(category.name)
      : parent && isPlural(parent.name)
        ? `${category.name} ${singular(lastWord(parent.name))}`
        : category.name;
    const parentNoun = parent ? singularName(parent.name) : singular(lastWord(category.name));
    const nouns = [own, own, ...(EXTRA_NOUNS[category.name] ?? []), parentNoun];
    const vendors = VENDORS.filter((vendor) => VENDOR_AREAS[vendor]!.includes(level1.name));
    leaves.push({
      path,
      nouns,
      adjectives: area.adjectives,
      area,
      vendors: vendors.length > 0 ? vendors : VENDORS,
      level2Name: level2.name,
      leafName: category.name,
      tags: [level1.name.split(/ & | /)[0]!.toLowerCase(), own.toLowerCase()],
      vendorCategories,
    });
  }
  const weights = randomGenerator(20_261_202);
  const cumulative = new Float64Array(leaves.length);
  let total = 0;
  leaves.forEach((_, index) => {
    total += 0.2 + 3 * weights.next() ** 2;
    cumulative[index] = total;
  });
  const model = { leaves, cumulative, total };
  models.set(categories, model);
  return model;
}

function pickLeaf(model: Model, roll: number): Leaf {
  const target = roll * model.total;
  let low = 0;
  let high = model.cumulative.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (model.cumulative[middle]! < target) low = middle + 1;
    else high = middle;
  }
  return model.leaves[low]!;
}

export interface SyntheticProduct {
  id: number;
  product_id: string;
  product_name: string;
  vendor: string;
  product_type: string | null;
  status: 'active' | 'draft' | 'archived';
  sku: string;
  image_url: string | null;
  tags: string[];
  /** One generated sentence or two, as plain text (the import's description). */
  description: string;
  /** Assigned categories, closed under "parent of" (parents first). */
  categoryIds: number[];
}

/**
 * Product `index` (0-based) of a catalog: the same index always gives the same product, so a
 * catalog can be produced in any batch size without holding it in memory.
 */
export function syntheticProduct(
  index: number,
  categories: readonly SyntheticCategory[],
): SyntheticProduct {
  const random = randomGenerator(index * 7919 + 17);
  const model = modelOf(categories);
  const leaf = pickLeaf(model, random.next());
  const { area } = leaf;

  const vendor =
    random.next() < SYNTHETIC_NOISE.offAreaVendor
      ? random.pick(VENDORS)
      : random.pick(leaf.vendors);

  // The name: vendor, an adjective, a noun of the category (or, as noise, of another one or a
  // generic one), a colour, a size.
  const misleading = random.next() < SYNTHETIC_NOISE.misleadingName;
  const noun = misleading
    ? random.next() < 0.5
      ? random.pick(GENERIC_NOUNS)
      : random.pick(pickLeaf(model, random.next()).nouns)
    : random.pick(leaf.nouns);
  const adjectiveRoll = random.next();
  const adjective =
    adjectiveRoll < 0.55 && leaf.adjectives.length > 0
      ? random.pick(leaf.adjectives)
      : adjectiveRoll < 0.75
        ? random.pick(GENERIC_ADJECTIVES)
        : '';
  const colour = random.next() < 0.3 ? random.pick(COLOURS) : '';
  const size = random.pick(area.sizes);
  const name = [vendor, adjective, noun, colour, size].filter(Boolean).join(' ');
  const handle = `${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}-${index + 1}`;
  const roll = random.next();
  const status = roll < 0.85 ? 'active' : roll < 0.95 ? 'draft' : 'archived';

  const typeRoll = random.next();
  const product_type =
    typeRoll < SYNTHETIC_NOISE.typeLevel3
      ? leaf.leafName
      : typeRoll < SYNTHETIC_NOISE.typeLevel3 + SYNTHETIC_NOISE.typeLevel2
        ? leaf.level2Name
        : typeRoll <
            SYNTHETIC_NOISE.typeLevel3 + SYNTHETIC_NOISE.typeLevel2 + SYNTHETIC_NOISE.typeGeneric
          ? area.types.length > 0 && random.next() < 0.7
            ? random.pick(area.types)
            : random.pick(GENERIC_TYPES)
          : null;

  const use = random.pick(area.uses);
  const tags = [
    ...new Set([
      ...(random.next() < 0.6 ? [use] : []),
      ...(random.next() < 0.5 ? [leaf.tags[0]!] : []),
      ...(random.next() < 0.4 ? [leaf.tags[1]!] : []),
      ...(random.next() < 0.3 ? [random.pick(GENERIC_TAGS)] : []),
    ]),
  ];

  const description =
    `${adjective ? `${adjective} ` : ''}${noun.toLowerCase()} by ${vendor} for ${use}${
      size ? `, ${size}` : ''
    }.`.replace(/^./, (first) => first.toUpperCase());

  // About 60% of products are categorised: their leaf and its ancestors (sometimes stopping at
  // level 2 or 1), sometimes also an unrelated second leaf or their vendor's category.
  const categoryIds: number[] = [];
  if (random.next() < SYNTHETIC_NOISE.categorised) {
    const depthRoll = random.next();
    const keep =
      depthRoll < SYNTHETIC_NOISE.stopsAtLevel1
        ? 1
        : depthRoll < SYNTHETIC_NOISE.stopsAtLevel1 + SYNTHETIC_NOISE.stopsAtLevel2
          ? 2
          : 3;
    for (const category of leaf.path.slice(-keep).reverse()) categoryIds.push(category.id);
    if (random.next() < SYNTHETIC_NOISE.secondCategory) {
      // Unrelated: another level-1 area (a few tries; the tree has 15 areas).
      let other = model.leaves[random.integer(model.leaves.length)]!;
      for (let tries = 0; tries < 5 && other.path.at(-1) === leaf.path.at(-1); tries += 1) {
        other = model.leaves[random.integer(model.leaves.length)]!;
      }
      for (const category of [...other.path].reverse()) {
        if (!categoryIds.includes(category.id)) categoryIds.push(category.id);
      }
    }
    const vendorCategory = leaf.vendorCategories.get(vendor);
    if (vendorCategory && random.next() < SYNTHETIC_NOISE.vendorCategory) {
      const root = vendorCategory.parentId!;
      if (!categoryIds.includes(root)) categoryIds.push(root);
      categoryIds.push(vendorCategory.id);
    }
  }
  return {
    id: index + 1,
    product_id: handle,
    product_name: name,
    vendor,
    product_type,
    status,
    sku: `${vendor.slice(0, 3).toUpperCase()}-${String(100000 + index)}`,
    // The app's own generated pictures (sample-images.ts): never an external host.
    image_url: random.next() < 0.8 ? sampleImagePath(1 + (index % SAMPLE_IMAGE_COUNT)) : null,
    tags,
    description,
    categoryIds,
  };
}
