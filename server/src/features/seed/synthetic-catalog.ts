/**
 * A deterministic, realistic synthetic catalog: a three-level tree of about 200 categories in
 * the sample store's trade (building and waterproofing products), Shopify-like handles and
 * titles, vendors, statuses, and a realistic share of products already categorised. The same
 * seed always gives the same catalog.
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

const VENDORS = [
  'Ardex',
  'Bostik',
  'Sika',
  'Mapei',
  'Davco',
  'RLA',
  'Wet Seal',
  'Tremco',
  'Soudal',
  'Dunlop',
  'Gripset',
  'Parchem',
  'Fosroc',
  'Selleys',
  'Megaflex',
  'Silcor',
  'Duram',
  'Crommelin',
  'Nuvo',
  'Flowcrete',
  'Bayset',
  'Laticrete',
  'Weber',
  'Schluter',
  'Vitrex',
  'Stormtech',
  'Buzon',
  'Kingspan',
  'Ramset',
  'Hilti',
];

const ADJECTIVES = [
  'Flexible',
  'Rapid',
  'Heavy Duty',
  'Premium',
  'Ultra',
  'Pro',
  'High Build',
  'Fast Cure',
  'Low Odour',
  'Fibre Reinforced',
  'UV Stable',
  'Trafficable',
  'Elastic',
  'Structural',
  'Marine Grade',
];
const NOUNS = [
  'Membrane',
  'Sealant',
  'Adhesive',
  'Primer',
  'Grout',
  'Mortar',
  'Coating',
  'Tape',
  'Trim',
  'Backing Rod',
  'Floor Waste',
  'Pedestal',
  'Cleaner',
  'Foam',
  'Render',
  'Levelling Compound',
];
const SIZES = ['300ml', '600ml', '1L', '4L', '10L', '15L', '20kg', '25m', '50m', '2.4m', 'Kit'];
const COLOURS = ['Grey', 'White', 'Black', 'Clear', 'Charcoal', 'Sandstone', 'Terracotta', ''];
const TYPES = [
  'Sealant',
  'Membrane',
  'Adhesive',
  'Concrete Repair',
  'Tile Accessory',
  'Tool',
  'Coating',
];

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

const indexes = new WeakMap<readonly SyntheticCategory[], Map<number, SyntheticCategory>>();
function categoriesById(categories: readonly SyntheticCategory[]) {
  let byId = indexes.get(categories);
  if (!byId) {
    byId = new Map(categories.map((category) => [category.id, category]));
    indexes.set(categories, byId);
  }
  return byId;
}

export interface SyntheticProduct {
  id: number;
  product_id: string;
  product_name: string;
  vendor: string;
  product_type: string;
  status: 'active' | 'draft' | 'archived';
  sku: string;
  image_url: string | null;
  tags: string[];
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
  const vendor = random.pick(VENDORS);
  const name = [
    vendor,
    random.pick(ADJECTIVES),
    random.pick(NOUNS),
    random.pick(COLOURS),
    random.pick(SIZES),
  ]
    .filter(Boolean)
    .join(' ');
  const handle = `${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')}-${index + 1}`;
  const roll = random.next();
  const status = roll < 0.85 ? 'active' : roll < 0.95 ? 'draft' : 'archived';

  // About 60% of products are already categorised, most of them down to level 2 or 3.
  const categoryIds: number[] = [];
  if (random.next() < 0.6) {
    const leaves = random.next() < 0.25 ? 2 : 1;
    const byId = categoriesById(categories);
    for (let count = 0; count < leaves; count += 1) {
      let category: SyntheticCategory | undefined = random.pick(categories);
      const chain: number[] = [];
      while (category) {
        chain.unshift(category.id);
        category = category.parentId === null ? undefined : byId.get(category.parentId);
      }
      for (const id of chain) if (!categoryIds.includes(id)) categoryIds.push(id);
    }
  }
  return {
    id: index + 1,
    product_id: handle,
    product_name: name,
    vendor,
    product_type: random.pick(TYPES),
    status,
    sku: `${vendor.slice(0, 3).toUpperCase()}-${String(100000 + index)}`,
    // The app's own generated pictures (sample-images.ts): never an external host.
    image_url: random.next() < 0.8 ? sampleImagePath(1 + (index % SAMPLE_IMAGE_COUNT)) : null,
    tags: [random.pick(NOUNS).toLowerCase(), random.pick(ADJECTIVES).toLowerCase()],
    categoryIds,
  };
}
