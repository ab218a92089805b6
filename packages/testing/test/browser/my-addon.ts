// The README's browser test imports "your add-on" from here: the kit's own minimal add-on, whose
// `/page` loads all.js and shows the signed-in account.
export { startMinimalAddon as startAddon } from '../helpers/minimal-addon.js';
