/** The keyboard shortcuts, listed once: the help dialog shows this list. */
export const SHORTCUTS: { keys: string[]; action: string; where: string }[] = [
  { keys: ['?'], action: 'Show this list of shortcuts', where: 'Anywhere' },
  { keys: ['/'], action: 'Search products', where: 'Products' },
  { keys: ['n'], action: 'Next page', where: 'Products' },
  { keys: ['p'], action: 'Previous page', where: 'Products' },
  { keys: ['x'], action: 'Select or unselect every product on the page', where: 'Products' },
  {
    keys: ['a'],
    action: 'Assign the ticked categories (to the open product, else to the selected products)',
    where: 'Products',
  },
  { keys: ['t'], action: 'Move focus to the category tree', where: 'Products' },
  { keys: ['c'], action: 'Create a category', where: 'Products' },
  { keys: ['Esc'], action: 'Close the dialog or the product panel', where: 'Anywhere' },
  { keys: ['↑', '↓'], action: 'Move between categories', where: 'Category tree' },
  {
    keys: ['→', '←'],
    action: 'Expand / collapse, or go to child / parent',
    where: 'Category tree',
  },
  { keys: ['Home', 'End'], action: 'First / last category', where: 'Category tree' },
  { keys: ['Space'], action: 'Tick or untick the category', where: 'Category tree' },
  {
    keys: ['Enter'],
    action: 'Filter products by the category (again to clear)',
    where: 'Category tree',
  },
  { keys: ['F2'], action: 'Rename the category', where: 'Category tree' },
  { keys: ['Delete'], action: 'Delete the category', where: 'Category tree' },
  { keys: ['Shift', 'click'], action: 'Select a range of products', where: 'Products' },
  { keys: ['1', '…', '9'], action: 'Tick or untick that suggestion', where: 'Queue' },
  {
    keys: ['/'],
    action: 'Find any category by part of its path (↑ ↓ to choose, Enter to tick)',
    where: 'Queue',
  },
  { keys: ['Enter'], action: 'Assign the ticked categories and show the next', where: 'Queue' },
  { keys: ['s'], action: 'Skip this product', where: 'Queue' },
  { keys: ['j', 'k'], action: 'Next / previous product', where: 'Queue' },
  { keys: ['u'], action: 'Undo the last assignment', where: 'Queue' },
];

/** True when a key press belongs to a text field or a dialog, not to the page's shortcuts. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.closest('[role="dialog"]')) return true;
  const tag = target.tagName;
  if (tag === 'INPUT')
    return !['checkbox', 'radio', 'button', 'submit'].includes((target as HTMLInputElement).type);
  return tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable;
}
