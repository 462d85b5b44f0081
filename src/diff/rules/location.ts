/** Where things are declared. Locations are not semantic content: a move is always neutral. */
import { defineRule, has, sortedKeys } from './define.js';

export const LOCATION_MOVED = defineRule({
  id: 'LOCATION_MOVED',
  category: 'location',
  effect: 'neutral',
  summary: 'An entity is now declared in a different file.',
  description:
    'The relative path recorded for a location key (`le:<id>`, `logging:<id>`, `keygate:site:<key>`...), or the path `keygate:via:<entry> -> <sink>` through helpers (a helper extracted, inlined, renamed or moved), changed while the entity is present on both sides. Id: the location key. Keys present on one side only belong to an added or removed entity, which its own rule reports.',
  justifyHint: 'No justification needed.',
  find: (ctx) =>
    sortedKeys(ctx.base.locations)
      .filter((k) => has(ctx.head.locations, k) && ctx.base.locations[k] !== ctx.head.locations[k])
      .map((k) => ({
        id: k,
        subject: '',
        before: ctx.base.locations[k],
        after: ctx.head.locations[k],
        message: k.startsWith('keygate:via:')
          ? `the path of ${k.slice('keygate:via:'.length)} is now ${ctx.head.locations[k]} (was ${ctx.base.locations[k]}; guards unchanged)`
          : `${k} moved from ${ctx.base.locations[k]} to ${ctx.head.locations[k]}`,
        keys: [k],
        covers: [],
      })),
});

export const LOCATION_RULES = [LOCATION_MOVED];
