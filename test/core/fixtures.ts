/**
 * Realistic inputs for core tests, taken from the emulators' metadata: Salesforce fields as `describe`
 * reports them for Lead and Contact, and HubSpot's standard contact properties.
 */
import { objects } from '../../src/emulators/salesforce/schema.ts';
import { standardContactProperties } from '../../src/emulators/hubspot/properties.ts';
import type { HsProperty, SfField, SfPersonObject } from '../../src/core/model.ts';

export function sfFieldsOf(object: SfPersonObject): Map<string, SfField> {
  return new Map(
    objects.get(object)!.fields.map((f) => [
      f.name,
      {
        name: f.name,
        type: f.type,
        length: f.type === 'reference' || f.type === 'id' ? 0 : f.length,
        integerDigits: f.type === 'int' ? f.digits : f.precision - f.scale,
        scale: f.scale,
        updateable: f.updateable,
        createable: f.createable,
        calculated: f.calculated,
        nillable: f.nillable,
        picklistValues: f.picklistValues.map((p) => p.value),
        restrictedPicklist: f.restrictedPicklist,
      },
    ]),
  );
}

export function hsContactProperties(): Map<string, HsProperty> {
  return new Map(
    standardContactProperties().map((p) => [
      p.name,
      {
        name: p.name,
        type: p.type,
        fieldType: p.fieldType,
        options: p.options.map((o) => o.value),
        referencesUsers: p.referencedObjectType === 'OWNER',
        readOnlyValue: p.readOnlyValue,
      },
    ]),
  );
}

/** A custom property (or field) for a test, with the defaults of an ordinary writable one. */
export function hsProperty(
  overrides: Partial<HsProperty> & Pick<HsProperty, 'name' | 'type' | 'fieldType'>,
): HsProperty {
  return { options: [], referencesUsers: false, readOnlyValue: false, ...overrides };
}

export function sfField(overrides: Partial<SfField> & Pick<SfField, 'name' | 'type'>): SfField {
  return {
    length: 0,
    integerDigits: 0,
    scale: 0,
    updateable: true,
    createable: true,
    calculated: false,
    nillable: true,
    picklistValues: [],
    restrictedPicklist: false,
    ...overrides,
  };
}
