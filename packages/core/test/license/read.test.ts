import { describe, expect, it } from 'vitest';
import { licenseFromFit, licenseFromQuery } from '../../src/license/read.js';

describe('licenseFromQuery', () => {
  it.each([
    ['/page?lic=active', { active: true, source: 'lic' }],
    ['/page?xdm_e=x&lic=none&cp=', { active: false, source: 'lic' }],
    ['/page?l%69c=active', { active: true, source: 'lic' }],
    ['/page?lic=active&lic=active', { active: undefined, source: 'lic' }],
    ['/page?lic=active&lic=none', { active: undefined, source: 'lic' }],
    ['/page?lic=ACTIVE', { active: undefined, source: 'lic' }],
    ['/page?lic', { active: undefined, source: 'lic' }],
    ['/page?license=active', undefined],
    ['/page', undefined],
    ['/page#lic=active', undefined],
  ])('%s', (url, license) => {
    expect(licenseFromQuery(url)).toEqual(license);
  });
});

describe('licenseFromFit', () => {
  it.each([
    [{ license: { active: true, isActive: false } }, { active: true, source: 'fit' }],
    [{ license: { isActive: false } }, { active: false, source: 'fit' }],
    [{ license: { active: true, isEvaluation: true } }, { active: true, source: 'fit', evaluation: true }],
    [{ license: { active: 'yes' } }, { active: undefined, source: 'fit' }],
    [{ license: null }, undefined],
    [{ license: [true] }, undefined],
    [{}, undefined],
    [undefined, undefined],
  ])('%j', (app, license) => {
    expect(licenseFromFit(app)).toEqual(license);
  });
});
