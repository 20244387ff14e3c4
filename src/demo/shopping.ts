import { AddLayer } from '../layers/add-layer.js';
import { MulLayer } from '../layers/mul-layer.js';

/**
 * The shopping examples of book sections 5.4.1-5.4.2, computed by the layers themselves.
 * Forward gives the price; backward with dprice = 1 gives how much the price moves per unit
 * change of each input.
 */
export interface ShoppingResult {
  name: 'apple' | 'apple-orange';
  price: number;
  grads: Record<string, number>;
}

export function appleExample(apple = 100, appleNum = 2, tax = 1.1): ShoppingResult {
  const mulAppleLayer = new MulLayer();
  const mulTaxLayer = new MulLayer();

  const applePrice = mulAppleLayer.forward(apple, appleNum);
  const price = mulTaxLayer.forward(applePrice, tax);

  const [dApplePrice, dTax] = mulTaxLayer.backward(1);
  const [dApple, dAppleNum] = mulAppleLayer.backward(dApplePrice);
  return { name: 'apple', price, grads: { apple: dApple, appleNum: dAppleNum, tax: dTax } };
}

export function appleOrangeExample(apple = 100, appleNum = 2, orange = 150, orangeNum = 3, tax = 1.1): ShoppingResult {
  const mulAppleLayer = new MulLayer();
  const mulOrangeLayer = new MulLayer();
  const addAppleOrangeLayer = new AddLayer();
  const mulTaxLayer = new MulLayer();

  const applePrice = mulAppleLayer.forward(apple, appleNum);
  const orangePrice = mulOrangeLayer.forward(orange, orangeNum);
  const allPrice = addAppleOrangeLayer.forward(applePrice, orangePrice);
  const price = mulTaxLayer.forward(allPrice, tax);

  const [dAllPrice, dTax] = mulTaxLayer.backward(1);
  const [dApplePrice, dOrangePrice] = addAppleOrangeLayer.backward(dAllPrice);
  const [dOrange, dOrangeNum] = mulOrangeLayer.backward(dOrangePrice);
  const [dApple, dAppleNum] = mulAppleLayer.backward(dApplePrice);
  return {
    name: 'apple-orange',
    price,
    grads: { apple: dApple, appleNum: dAppleNum, orange: dOrange, orangeNum: dOrangeNum, tax: dTax },
  };
}
